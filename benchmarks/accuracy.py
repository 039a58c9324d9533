"""NetAug vs baseline twin at equal epochs, over several seeds.

Trains each demo config (or any NetAug/baseline pair) once per seed, reads
the final COCO bbox mAP and prints mean +/- std per method and the paired
difference. ``--quick`` is the demo pair on the generated shapes set (about
25 minutes on 2 CPU cores for 3 seeds). Results go to ``--out`` as JSON.

    python benchmarks/accuracy.py --quick
    python benchmarks/accuracy.py --netaug CFG --baseline CFG --seeds 0 1 2
    python benchmarks/accuracy.py --plot-only RESULTS.json --png OUT.png
"""
import argparse
import json
import os
import os.path as osp
import statistics
import sys

os.environ.setdefault('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')
ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)

from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

import mmnetaug  # noqa: E402,F401
from mmnetaug.datasets import make_shapes_dataset  # noqa: E402

DEMO = dict(netaug='configs/demo/netaug_yolo_mbv2_demo.py',
            baseline='configs/demo/baseline_yolo_mbv2_demo.py')


def train_once(cfg_path, seed, work_dir, options):
    cfg = Config.fromfile(osp.join(ROOT, cfg_path))
    cfg.work_dir = work_dir
    cfg.randomness = dict(seed=seed)
    cfg.log_level = 'WARNING'
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=-1)
    if options:
        cfg.merge_from_dict(options)
    runner = Runner.from_cfg(cfg)
    runner.train()
    hub = runner.message_hub
    return {k: hub.get_scalar(f'val/coco/{k}').current()
            for k in ('bbox_mAP', 'bbox_mAP_50')}


def summary(values):
    mean = statistics.mean(values)
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return mean, std


def plot(results: dict, png: str) -> None:
    """Paired per-seed mAP (one line per seed) and the two means."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    runs = results['results']
    seeds = list(runs['baseline'])
    fig, ax = plt.subplots(figsize=(4.5, 3.2))
    for seed in seeds:
        ax.plot([0, 1], [runs['baseline'][seed]['bbox_mAP'],
                         runs['netaug'][seed]['bbox_mAP']],
                color='#888888', marker='o', lw=1, ms=4)
    for i, name in enumerate(('baseline', 'netaug')):
        mean = statistics.mean(r['bbox_mAP'] for r in runs[name].values())
        ax.hlines(mean, i - 0.15, i + 0.15, color=('k', '#3b7dd8')[i], lw=3)
        ax.annotate(f'{mean:.3f}', (i + 0.18, mean), va='center', fontsize=8)
    ax.set_xticks([0, 1], ['baseline twin', 'NetAug'])
    ax.set_xlim(-0.5, 1.6)
    ax.set_ylabel('COCO bbox mAP (val)')
    ax.set_title(f'NetAug vs baseline, paired over {len(seeds)} seeds',
                 fontsize=9)
    fig.tight_layout()
    os.makedirs(osp.dirname(png) or '.', exist_ok=True)
    fig.savefig(png, dpi=120)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--quick', action='store_true',
                        help='the demo pair on the generated shapes set')
    parser.add_argument('--netaug', default=DEMO['netaug'])
    parser.add_argument('--baseline', default=DEMO['baseline'])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--work-dir', default='work_dirs/accuracy')
    parser.add_argument('--out', default='work_dirs/accuracy/results.json')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    parser.add_argument('--png', help='also plot the results to this PNG')
    parser.add_argument('--plot-only', metavar='RESULTS_JSON',
                        help='only plot an earlier run (needs --png)')
    args = parser.parse_args()
    if args.plot_only:
        with open(args.plot_only) as f:
            plot(json.load(f), args.png or 'accuracy.png')
        return
    os.chdir(ROOT)
    if args.quick or args.netaug == DEMO['netaug']:
        make_shapes_dataset('data/demo/shapes')
    results = {'netaug': {}, 'baseline': {}}
    for seed in args.seeds:
        for name, cfg in (('netaug', args.netaug),
                          ('baseline', args.baseline)):
            metrics = train_once(cfg, seed,
                                 osp.join(args.work_dir, f'{name}_{seed}'),
                                 args.cfg_options)
            results[name][seed] = metrics
            print(f'seed {seed} {name:8s} mAP {metrics["bbox_mAP"]:.3f} '
                  f'mAP@50 {metrics["bbox_mAP_50"]:.3f}', flush=True)
    print(f"\n{'':10s} {'mAP mean +/- std':>20s} {'mAP@50 mean +/- std':>22s}")
    for name in ('netaug', 'baseline'):
        m = summary([r['bbox_mAP'] for r in results[name].values()])
        m50 = summary([r['bbox_mAP_50'] for r in results[name].values()])
        print(f'{name:10s} {m[0]:13.3f} +/- {m[1]:.3f} '
              f'{m50[0]:15.3f} +/- {m50[1]:.3f}')
    diffs = [results['netaug'][s]['bbox_mAP'] -
             results['baseline'][s]['bbox_mAP'] for s in args.seeds]
    d = summary(diffs)
    print(f'paired difference netaug - baseline: mAP {d[0]:+.3f} +/- '
          f'{d[1]:.3f} over seeds {args.seeds}')
    os.makedirs(osp.dirname(args.out) or '.', exist_ok=True)
    with open(args.out, 'w') as f:
        json.dump(dict(netaug=args.netaug, baseline=args.baseline,
                       results=results, diffs=diffs), f, indent=1)
    if args.png:
        with open(args.out) as f:
            plot(json.load(f), args.png)


if __name__ == '__main__':
    main()
