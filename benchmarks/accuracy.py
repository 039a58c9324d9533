"""NetAug's accuracy where tiny detectors underfit: seeds, widths, ablations.

Trains YOLOv3 + MobileNetV2 on the procedural shapes task
(``configs/procedural/``: new images every epoch, so nothing can be
memorised) and prints one table per study:

* ``seeds``: NetAug vs its baseline twin at x0.35, every seed in ``--seeds``;
  mean +/- std and the paired difference.
* ``widths``: both methods at ``--widths`` (backbone ``widen_factor``; neck
  and head scale with it), mAP vs MACs of the deployed detector and the MACs
  NetAug saves at equal mAP (baseline curve interpolated in log-MACs).
* ``ablations``: NetAug variants at x0.35: BN policy, channel sorting off,
  width-stop fraction, ``aug_loss_weight``, augmenting backbone + neck and
  backbone + neck + head.

Each finished run is stored in ``--out`` at once, so an interrupted study
resumes where it stopped. ``--quick`` (the default schedule: 6 epochs of 512
images at 160 px, one seed for widths and ablations) takes about an hour on
2 CPU cores; ``--full`` (24 epochs of 4000 images, 5 seeds, 3 for widths and
ablations) is meant for a GPU.

    python benchmarks/accuracy.py --quick --png-dir docs/results
    python benchmarks/accuracy.py --full --out work_dirs/accuracy/full.json
    python benchmarks/accuracy.py --studies seeds --seeds 0 1 2 \\
        --netaug configs/demo/netaug_yolo_mbv2_demo.py \\
        --baseline configs/demo/baseline_yolo_mbv2_demo.py
    python benchmarks/accuracy.py --plot-only RESULTS.json --png-dir DIR
"""
import argparse
import json
import math
import os
import os.path as osp
import statistics
import sys
import time

os.environ.setdefault('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')
ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from mmdet.models.utils import make_divisible  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

import mmnetaug  # noqa: E402,F401
from mmnetaug.datasets import make_shapes_dataset  # noqa: E402

PAIR = dict(netaug='configs/procedural/netaug_yolo_mbv2_shapes.py',
            baseline='configs/procedural/baseline_yolo_mbv2_shapes.py')
BASE_WIDTH = 0.35
NECK_WIDTH_AT_BASE = 64  # the x0.35 configs' neck and head channels
WIDE = (1.0, 1.8, 2.6)
ABLATIONS = {
    'bn recalibrate': {'custom_hooks.0.bn_policy': 'recalibrate'},
    'no channel sorting': {'custom_hooks.0.sort_channels': False},
    'width stop 0.25': {'custom_hooks.0.width_stop_fraction': 0.25},
    'width stop 1.0': {'custom_hooks.0.width_stop_fraction': 1.0},
    'aug_loss_weight 0.5': {'train_cfg.aug_loss_weight': 0.5},
    'aug_loss_weight 2.0': {'train_cfg.aug_loss_weight': 2.0},
    '+ neck': {
        'model.backbone.augment_outputs': True,
        'model.neck.type': 'mmnetaug.NetAugYOLOV3Neck',
        'model.neck.width_factors': WIDE,
        'model.neck.augment_outputs': False},
    '+ neck + head': {
        'model.backbone.augment_outputs': True,
        'model.neck.type': 'mmnetaug.NetAugYOLOV3Neck',
        'model.neck.width_factors': WIDE,
        'model.neck.augment_outputs': True,
        'model.bbox_head.type': 'mmnetaug.NetAugYOLOV3Head',
        'model.bbox_head.width_factors': WIDE,
        'model.bbox_head.augment_head': True},
}
MODES = dict(
    quick=dict(epochs=6, images=512, val_images=300, seeds=[0, 1, 2],
               study_seeds=[0], options={}),
    # drawing images costs ~7 ms each: on a GPU, draw them in workers
    full=dict(epochs=24, images=4000, val_images=1000,
              seeds=[0, 1, 2, 3, 4], study_seeds=[0, 1, 2],
              options={'train_dataloader.num_workers': 4,
                       'train_dataloader.persistent_workers': True,
                       'val_dataloader.num_workers': 2}))


def width_options(widen: float) -> dict:
    """MobileNetV2 ``widen_factor`` plus the neck/head channels that fit
    it (the YOLO configs read stages 2, 4 and 6: 32, 96, 320 at x1.0)."""
    stages = [make_divisible(c * widen, 8) for c in (320, 96, 32)]
    hidden = make_divisible(NECK_WIDTH_AT_BASE * widen / BASE_WIDTH, 8)
    return {'model.backbone.widen_factor': widen,
            'model.neck.in_channels': stages,
            'model.neck.out_channels': [hidden] * 3,
            'model.bbox_head.in_channels': [hidden] * 3,
            'model.bbox_head.out_channels': [hidden] * 3}


def schedule_options(epochs: int, images: int, val_images: int) -> dict:
    return {'train_cfg.max_epochs': epochs,
            'train_cfg.val_interval': epochs,
            'param_scheduler.1.end': epochs,
            'default_hooks.checkpoint.interval': epochs,
            'train_dataloader.dataset.num_images': images,
            'val_dataloader.dataset.num_images': val_images,
            'test_dataloader.dataset.num_images': val_images}


def base_complexity(cfg: Config, size: int) -> dict:
    """MACs and parameters of the deployed (base-width) detector."""
    from mmengine.analysis import get_model_complexity_info

    from mmnetaug.export import build_detector, to_static
    from mmnetaug.space import is_netaug_model
    model = build_detector(cfg)
    if is_netaug_model(model):
        model = to_static(model, (1, 3, size, size))
    info = get_model_complexity_info(model.eval(), (3, size, size),
                                     show_table=False, show_arch=False)
    # mmengine (fvcore) counts one fused multiply-add as one "flop".
    return dict(macs=info['flops'], params=info['params'])


def train_once(cfg_path: str, seed: int, work_dir: str, options: dict):
    cfg = Config.fromfile(osp.join(ROOT, cfg_path))
    cfg.merge_from_dict(options)
    cfg.work_dir = work_dir
    cfg.randomness = dict(seed=seed)
    cfg.log_level = 'WARNING'
    runner = Runner.from_cfg(cfg)
    start = time.perf_counter()
    runner.train()
    seconds = time.perf_counter() - start
    hub = runner.message_hub
    iters = len(runner.train_dataloader)
    # CocoMetric logs nothing when the detector found nothing: mAP 0
    result = {k: (hub.log_scalars[f'val/coco/{k}'].current()
                  if f'val/coco/{k}' in hub.log_scalars else 0.0)
              for k in ('bbox_mAP', 'bbox_mAP_50')}
    # the base pass's loss, mean over the last epoch (fresh images: it is
    # what the model achieves, not what it memorised)
    result['train_loss_last_epoch'] = hub.get_scalar('train/loss').mean(iters)
    result['seconds'] = seconds
    size = cfg.get('input_size', (160, 160))[0]
    result.update(base_complexity(cfg, size))
    return result


def plan(args) -> list:
    """(key, method, config, options, seed) of every run the studies need;
    runs shared by studies (NetAug x0.35 seed 0) appear once."""
    runs = {}

    def add(method, widen, variant, seed, options):
        key = f'{method}|w{widen}|{variant}|s{seed}'
        cfg = args.netaug if method == 'netaug' else args.baseline
        runs.setdefault(key, (key, method, cfg, options, seed))

    sched = {**schedule_options(args.epochs, args.images, args.val_images),
             **args.mode_options} if args.schedule else {}
    extra = dict(args.cfg_options or {})
    if 'seeds' in args.studies:
        for seed in args.seeds:
            for method in ('netaug', 'baseline'):
                add(method, BASE_WIDTH, 'default', seed, {**sched, **extra})
    if 'widths' in args.studies:
        for widen in args.widths:
            for seed in args.study_seeds:
                for method in ('netaug', 'baseline'):
                    add(method, widen, 'default', seed,
                        {**sched, **width_options(widen), **extra})
    if 'ablations' in args.studies:
        for seed in args.study_seeds:
            add('netaug', BASE_WIDTH, 'default', seed, {**sched, **extra})
            for name, options in ABLATIONS.items():
                add('netaug', BASE_WIDTH, name, seed,
                    {**sched, **options, **extra})
    return list(runs.values())


def _runs(results, method, widen, variant, seeds):
    out = []
    for seed in seeds:
        run = results['runs'].get(f'{method}|w{widen}|{variant}|s{seed}')
        if run is not None:
            out.append(run)
    return out


def mean_std(values):
    values = list(values)
    if not values:
        return float('nan'), float('nan')
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return statistics.mean(values), std


def macs_at_equal_map(curve, target):
    """Baseline MACs reaching ``target`` mAP, interpolating mAP linearly
    in log(MACs) between baseline points; None outside the curve."""
    curve = sorted(curve)
    for (m0, a0), (m1, a1) in zip(curve, curve[1:]):
        if min(a0, a1) <= target <= max(a0, a1) and a0 != a1:
            t = (target - a0) / (a1 - a0)
            return math.exp(math.log(m0) + t * (math.log(m1) - math.log(m0)))
    return None


def _paired(results, method, widen, variant, ref_method, ref_variant):
    """Runs of one setting and of its reference on the seeds both have."""
    runs, refs = [], []
    for key, run in sorted(results['runs'].items()):
        if key.startswith(f'{method}|w{widen}|{variant}|s'):
            ref = results['runs'].get(
                f'{ref_method}|w{widen}|{ref_variant}|s{run["seed"]}')
            if ref is not None:
                runs.append(run)
                refs.append(ref)
    return runs, refs


def width_rows(results) -> list:
    """Per width with both methods: mean +/- std of each and of the paired
    difference, MACs and params of the deployed detector."""
    rows = []
    for widen in results['settings']['widths']:
        n, b = _paired(results, 'netaug', widen, 'default', 'baseline',
                       'default')
        if n and 'macs' in b[0]:
            rows.append(dict(
                widen=widen, macs=b[0]['macs'], params=b[0]['params'],
                seeds=sorted(r['seed'] for r in n),
                baseline=mean_std(r['bbox_mAP'] for r in b),
                netaug=mean_std(r['bbox_mAP'] for r in n),
                diff=mean_std(x['bbox_mAP'] - y['bbox_mAP']
                              for x, y in zip(n, b))))
    return rows


def ablation_rows(results) -> list:
    """Each ablation against default NetAug x0.35 on the same seeds."""
    rows = []
    for name in ABLATIONS:
        runs, refs = _paired(results, 'netaug', BASE_WIDTH, name, 'netaug',
                             'default')
        if runs:
            rows.append(dict(
                name=name, seeds=sorted(r['seed'] for r in runs),
                map=mean_std(r['bbox_mAP'] for r in runs)[0],
                ref=mean_std(r['bbox_mAP'] for r in refs)[0],
                diff=mean_std(x['bbox_mAP'] - y['bbox_mAP']
                              for x, y in zip(runs, refs))[0],
                minutes=mean_std(r['seconds'] for r in runs)[0] / 60))
    return rows


def report(results: dict) -> str:
    """All tables, as printed and as pasted into the README."""
    s = results['settings']
    lines = []
    seeds = s['seeds']
    na = _runs(results, 'netaug', BASE_WIDTH, 'default', seeds)
    ba = _runs(results, 'baseline', BASE_WIDTH, 'default', seeds)
    if na and ba:
        lines += ['', f'Seeds {seeds}, x{BASE_WIDTH}:', '',
                  '| | mAP (mean +/- std) | mAP@50 | train loss, last epoch |',
                  '| --- | --- | --- | --- |']
        for name, runs in (('baseline twin', ba), ('NetAug', na)):
            m = mean_std(r['bbox_mAP'] for r in runs)
            m50 = mean_std(r['bbox_mAP_50'] for r in runs)
            loss = mean_std(r['train_loss_last_epoch'] for r in runs
                            if 'train_loss_last_epoch' in r)
            loss_s = ('-' if math.isnan(loss[0]) else
                      f'{loss[0]:.0f} +/- {loss[1]:.0f}')
            lines.append(f'| {name} | {m[0]:.3f} +/- {m[1]:.3f} | '
                         f'{m50[0]:.3f} +/- {m50[1]:.3f} | {loss_s} |')
        diffs = [n['bbox_mAP'] - b['bbox_mAP'] for n, b in zip(na, ba)]
        d = mean_std(diffs)
        lines.append(f'| paired difference | {d[0]:+.3f} +/- {d[1]:.3f} '
                     f'(n={len(diffs)}) | | |')
    rows = width_rows(results)
    if rows:
        curve = [(r['macs'], r['baseline'][0]) for r in rows]
        lines += ['', f'Widths, MACs at {s["size"]} px of the deployed '
                  'detector (mAP mean +/- std over the seeds listed):', '',
                  '| widen | MACs | params | seeds | baseline mAP | '
                  'NetAug mAP | paired difference | baseline MACs at '
                  'NetAug\'s mAP | MACs saved |', '| --- ' * 9 + '|']
        for r in rows:
            equal = macs_at_equal_map(curve, r['netaug'][0])
            saved = f'{1 - r["macs"] / equal:.0%}' if equal else '-'
            equal_s = (f'{equal / 1e6:.0f}M' if equal else
                       'beyond the curve')
            (bm, bs), (nm, ns), (dm, ds) = (r['baseline'], r['netaug'],
                                            r['diff'])
            lines.append(
                f'| {r["widen"]} | {r["macs"] / 1e6:.0f}M | '
                f'{r["params"] / 1e6:.2f}M | {r["seeds"]} | '
                f'{bm:.3f} +/- {bs:.3f} | {nm:.3f} +/- {ns:.3f} | '
                f'{dm:+.3f} +/- {ds:.3f} | {equal_s} | {saved} |')
    abl = ablation_rows(results)
    if abl:
        lines += ['', f'Ablations, NetAug x{BASE_WIDTH}, each against the '
                  'default on the same seeds:', '',
                  '| variant | seeds | mAP | default mAP | difference | '
                  'minutes |', '| --- ' * 6 + '|']
        for r in abl:
            lines.append(f'| {r["name"]} | {r["seeds"]} | {r["map"]:.3f} | '
                         f'{r["ref"]:.3f} | {r["diff"]:+.3f} | '
                         f'{r["minutes"]:.1f} |')
    return '\n'.join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument('--quick', action='store_true',
                      help='2-CPU schedule (default): about an hour')
    mode.add_argument('--full', action='store_true',
                      help='longer schedule and more seeds, for a GPU')
    parser.add_argument('--studies', nargs='+',
                        choices=('seeds', 'widths', 'ablations'),
                        default=['seeds', 'widths', 'ablations'])
    parser.add_argument('--netaug', default=PAIR['netaug'])
    parser.add_argument('--baseline', default=PAIR['baseline'])
    parser.add_argument('--seeds', type=int, nargs='+',
                        help='seeds of the seeds study')
    parser.add_argument('--study-seeds', type=int, nargs='+',
                        help='seeds of the widths and ablation studies')
    parser.add_argument('--widths', type=float, nargs='+',
                        default=[0.25, 0.35, 0.5, 0.75])
    parser.add_argument('--work-dir', default='work_dirs/accuracy')
    parser.add_argument('--out', help='results JSON (default: '
                        'WORK_DIR/<quick|full>.json); finished runs in it '
                        'are not run again')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='applied to every run')
    parser.add_argument('--png-dir', help='also write the plots here')
    parser.add_argument('--plot-only', metavar='RESULTS_JSON',
                        help='print and plot an earlier run; train nothing')
    args = parser.parse_args()
    if args.plot_only:
        with open(args.plot_only) as f:
            results = json.load(f)
        print(report(results))
        if args.png_dir:
            from accuracy_plots import plot_all
            print('\n'.join(plot_all(results, args.png_dir)))
        return
    name = 'full' if args.full else 'quick'
    m = MODES[name]
    args.seeds = args.seeds or m['seeds']
    args.study_seeds = args.study_seeds or m['study_seeds']
    args.epochs, args.images = m['epochs'], m['images']
    args.val_images, args.mode_options = m['val_images'], m['options']
    # the schedule knobs exist only in the procedural configs
    args.schedule = 'procedural/' in args.netaug
    if not args.schedule:  # another pair: name its results after it
        name = osp.splitext(osp.basename(args.netaug))[0]
    args.out = args.out or osp.join(args.work_dir, f'{name}.json')
    os.chdir(ROOT)
    if 'demo/' in args.netaug:
        make_shapes_dataset('data/demo/shapes')
    results = dict(runs={})
    if osp.exists(args.out):
        with open(args.out) as f:
            results = json.load(f)
    results['settings'] = dict(
        mode=name, netaug=args.netaug, baseline=args.baseline,
        seeds=args.seeds, study_seeds=args.study_seeds,
        widths=args.widths if 'widths' in args.studies else [],
        epochs=args.epochs if args.schedule else None,
        images_per_epoch=args.images if args.schedule else None,
        size=160)
    todo = [r for r in plan(args) if r[0] not in results['runs']]
    print(f'{len(todo)} runs to do, results in {args.out}', flush=True)
    for i, (key, method, cfg, options, seed) in enumerate(todo, 1):
        work_dir = osp.join(args.work_dir, name,
                            key.replace('|', '_').replace(' ', '-'))
        result = train_once(cfg, seed, work_dir, options)
        result.update(method=method, config=cfg, options=options, seed=seed)
        results['runs'][key] = result
        os.makedirs(osp.dirname(args.out) or '.', exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(results, f, indent=1)
        print(f'[{i}/{len(todo)}] {key}: mAP {result["bbox_mAP"]:.3f} '
              f'mAP@50 {result["bbox_mAP_50"]:.3f} '
              f'({result["seconds"] / 60:.1f} min)', flush=True)
    print(report(results))
    if args.png_dir:
        from accuracy_plots import plot_all
        print('\n'.join(plot_all(results, args.png_dir)))


if __name__ == '__main__':
    main()
