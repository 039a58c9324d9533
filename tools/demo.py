"""The README demo: NetAug on the generated shapes dataset.

Generates the data (once), trains ``configs/demo/netaug_yolo_mbv2_demo.py``
with mmengine's progress logging, evaluates (COCO bbox mAP), exports the
base detector and prints a summary. ``--baseline`` also trains the baseline
twin for an A/B at equal epochs.
"""
import argparse
import os
import os.path as osp
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

import mmnetaug  # noqa: E402,F401
from mmnetaug.datasets import make_shapes_dataset  # noqa: E402

CONFIGS = dict(
    netaug='configs/demo/netaug_yolo_mbv2_demo.py',
    baseline='configs/demo/baseline_yolo_mbv2_demo.py')


def train(name, args):
    cfg = Config.fromfile(osp.join(ROOT, CONFIGS[name]))
    cfg.work_dir = osp.join(args.work_dir, name)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    start = time.time()
    runner = Runner.from_cfg(cfg)
    runner.train()
    hub = runner.message_hub

    def metric(name):
        key = f'val/coco/{name}'
        return (hub.get_scalar(key).current()
                if key in hub.log_scalars else float('nan'))

    return dict(
        minutes=(time.time() - start) / 60,
        mAP=metric('bbox_mAP'),
        mAP50=metric('bbox_mAP_50'),
        export=hub.get_info('netaug_export'))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--baseline', action='store_true',
                        help='also train the baseline twin')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(argv)
    os.chdir(ROOT)
    make_shapes_dataset('data/demo/shapes')  # the demo configs' data_root
    results = {'netaug': train('netaug', args)}
    if args.baseline:
        results['baseline'] = train('baseline', args)
    print('\n==== mmnetaug demo summary ====')
    for name, r in results.items():
        print(f"{name:9s} bbox mAP {r['mAP']:.3f}  mAP@50 {r['mAP50']:.3f}  "
              f"({r['minutes']:.1f} min, {CONFIGS[name]})")
    export = results['netaug']['export']
    if export:
        print(f"exported base detector: {export['config']}\n"
              f"                        {export['checkpoint']}\n"
              f"test it with: python tools/test.py {export['config']} "
              f"{export['checkpoint']}")
    return results


if __name__ == '__main__':
    main()
