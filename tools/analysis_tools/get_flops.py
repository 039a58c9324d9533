"""MACs and parameters of the detector a config deploys, as mmdet's
``tools/analysis_tools/get_flops.py``; for a NetAug config, its exported
stock model (the supernet's extra channels never run at test time).

    python tools/analysis_tools/get_flops.py CONFIG [--shape H W]
"""
import argparse
import logging
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(
    __file__)))))

from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.logging import MMLogger  # noqa: E402

import mmnetaug  # noqa: E402,F401
from mmnetaug.utils.complexity import deployed_complexity  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config file path')
    parser.add_argument('--shape', type=int, nargs=2, metavar=('H', 'W'),
                        help="input size (default: the test pipeline's "
                        'Resize scale)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings in the config, key=value')
    return parser.parse_args()


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    # mmengine's counter warns about every op it does not count (BN, add)
    MMLogger.get_current_instance().setLevel(logging.ERROR)
    info = deployed_complexity(cfg, args.shape)
    height, width = info['input_size']
    split = '=' * 30
    print(f'{split}\nConfig: {args.config}\n'
          f"Deployed: {'exported stock twin' if info['netaug'] else 'as is'}"
          f'\nInput shape: (1, 3, {height}, {width})\n'
          f"MACs: {info['macs'] / 1e9:.3f} G\n"
          f"Params: {info['params'] / 1e6:.3f} M\n{split}")
    print('MACs are counted by mmengine.analysis (one multiply-add = one '
          '"flop") on backbone, neck and head, without post-processing.')


if __name__ == '__main__':
    main()
