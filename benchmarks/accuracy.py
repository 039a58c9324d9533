"""Does the wide pass make a tiny detector better? NetAug against 3 controls.

Trains YOLOv3 + MobileNetV2 on the procedural shapes task
(``configs/procedural/``: new images every epoch, nothing to memorise).
Every accuracy claim is paired over the same seeds against three controls:

* ``baseline``: the baseline twin (stock mmdet modules, same init rule for
  the base weights, same BN handling, same clipping);
* ``netaug_w0``: the same supernet, loop and hook with
  ``aug_loss_weight=0``: everything NetAug does except the wide gradient;
* ``baseline_time``: the baseline trained for as long, in wall-clock time,
  as NetAug takes (more epochs, same cosine schedule stretched).

Studies (``--studies``):

* ``convergence``: the baseline at 1x and 2x the schedule, and a wider
  baseline at 1x: is the baseline converged (2x gains nothing) and
  capacity-limited (wider is clearly better)? NetAug is for that regime.
* ``seeds``: the four arms on ``--seeds``; mean +/- std of each arm and the
  paired difference of NetAug against each control.
* ``widths``: the four arms at each ``--widths``, with the MACs of the
  deployed detector.
* ``regime``: what could make the wide pass pay: NetAug variants
  (loss weight, width factors, what is widened, sorting, BN policy) each
  against the controls, and variants applied to every arm alike
  (optimizer, learning rate).

A NetAug result counts only if it beats all three controls. Each finished
run is written to ``--out`` at once, so a study resumes where it stopped;
``--out`` files of parallel runs (``--shard K/N``) are merged by
``--plot-only A.json B.json``.

    python benchmarks/accuracy.py --studies convergence seeds
    python benchmarks/accuracy.py --studies regime --regime-seeds 0 1 2
    python benchmarks/accuracy.py --plot-only R1.json R2.json --png-dir DIR
"""
import argparse
import json
import math
import os
import os.path as osp
import statistics
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from mmdet.models.utils import make_divisible  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

import mmnetaug  # noqa: E402,F401
from mmnetaug.utils.run_env import check_pairable, run_environment  # noqa
from studies.common import alive as _alive  # noqa: E402
from studies.common import locked_results, mean_std  # noqa: E402

# pair runs of different versions or thread counts (--allow-mixed-versions)
ALLOW_MIXED_VERSIONS = False

PAIR = dict(netaug='configs/procedural/netaug_yolo_mbv2_shapes.py',
            baseline='configs/procedural/baseline_yolo_mbv2_shapes.py')
NECK_WIDTH_AT_BASE = 64  # the x0.35 configs' neck and head channels
WIDE = (1.0, 1.8, 2.6)
ARMS = ('baseline', 'netaug', 'netaug_w0', 'baseline_time')
CONTROLS = ('baseline', 'netaug_w0', 'baseline_time')
ARM_NAMES = dict(baseline='baseline twin', netaug='NetAug',
                 netaug_w0='same supernet, aug_loss_weight=0',
                 baseline_time="baseline, NetAug's wall-clock time")
NECK = {'model.backbone.augment_outputs': True,
        'model.neck.type': 'mmnetaug.NetAugYOLOV3Neck',
        'model.neck.width_factors': WIDE,
        'model.neck.augment_outputs': False}
# name: (scope, options). scope 'netaug': NetAug (and the w0 control, where
# it applies) change, the baselines stay; 'all': every arm changes alike.
VARIANTS = {
    'aug_loss_weight 0.5': ('netaug', {'train_cfg.aug_loss_weight': 0.5}),
    'aug_loss_weight 2.0': ('netaug', {'train_cfg.aug_loss_weight': 2.0}),
    'width factors 1-1.4-1.8': ('netaug', {
        'model.backbone.width_factors': (1.0, 1.4, 1.8),
        'model.backbone.expand_factors': (1.0, 1.4, 1.8)}),
    'width factors 1-2.2-3.4': ('netaug', {
        'model.backbone.width_factors': (1.0, 2.2, 3.4),
        'model.backbone.expand_factors': (1.0, 2.2, 3.4)}),
    'widths never stop': ('netaug',
                          {'custom_hooks.0.width_stop_fraction': 1.0}),
    'no channel sorting': ('netaug', {'custom_hooks.0.sort_channels': False}),
    'bn recalibrate': ('netaug', {'custom_hooks.0.bn_policy': 'recalibrate'}),
    '+ neck': ('netaug', NECK),
    '+ neck + head': ('netaug', {
        **NECK, 'model.neck.augment_outputs': True,
        'model.bbox_head.type': 'mmnetaug.NetAugYOLOV3Head',
        'model.bbox_head.width_factors': WIDE,
        'model.bbox_head.augment_head': True}),
    'SGD momentum (all arms)': ('all', {
        'optim_wrapper.optimizer': dict(type='SGD', lr=0.02, momentum=0.9,
                                        weight_decay=5e-4, nesterov=True)}),
    'lr x3 (all arms)': ('all', {'optim_wrapper.optimizer.lr': 0.006}),
    'lr x0.3 (all arms)': ('all', {'optim_wrapper.optimizer.lr': 0.0006}),
}
# The task and schedule of each mode; options go to every run.
MODES = dict(
    # 2 CPU cores: two workers with OMP_NUM_THREADS=1, about 2 hours for
    # convergence + seeds on 3 seeds
    quick=dict(
        widen=0.35, epochs=50, size=96, seeds=[0, 1, 2, 3, 4],
        regime_seeds=[0, 1, 2], wider=0.5, options={}),
    # a GPU: more images per epoch, drawn in workers
    full=dict(
        widen=0.35, epochs=50, size=96, seeds=[0, 1, 2, 3, 4],
        regime_seeds=[0, 1, 2], wider=0.5,
        options={'train_dataloader.dataset.num_images': 4096,
                 'val_dataloader.dataset.num_images': 1000,
                 'train_dataloader.num_workers': 4,
                 'train_dataloader.persistent_workers': True}),
    # a minute: does the pipeline run end to end?
    smoke=dict(
        widen=0.35, epochs=1, size=96, seeds=[0], regime_seeds=[0],
        wider=0.5,
        options={'train_dataloader.dataset.num_images': 16,
                 'val_dataloader.dataset.num_images': 8}))


def width_options(widen: float, base_widen: float) -> dict:
    """MobileNetV2 ``widen_factor`` plus the neck/head channels that fit
    it (the YOLO configs read stages 2, 4 and 6: 32, 96, 320 at x1.0)."""
    stages = [make_divisible(c * widen, 8) for c in (320, 96, 32)]
    hidden = make_divisible(NECK_WIDTH_AT_BASE * widen / 0.35, 8)
    return {'model.backbone.widen_factor': widen,
            'model.neck.in_channels': stages,
            'model.neck.out_channels': [hidden] * 3,
            'model.bbox_head.in_channels': [hidden] * 3,
            'model.bbox_head.out_channels': [hidden] * 3}


def schedule_options(epochs: int) -> dict:
    return {'train_cfg.max_epochs': epochs,
            'train_cfg.val_interval': epochs,
            'param_scheduler.1.end': epochs,
            'default_hooks.checkpoint.interval': epochs}


def complexity(cfg: Config, size: int) -> dict:
    """MACs and parameters of the deployed (base-width) detector, and the
    share of the MACs in backbone, neck and head."""
    import torch
    from mmengine.analysis import FlopAnalyzer

    from mmnetaug.export import build_detector, to_static
    from mmnetaug.space import is_netaug_model
    model = build_detector(cfg)
    if is_netaug_model(model):
        model = to_static(model, (1, 3, size, size))
    model.eval()
    flops = FlopAnalyzer(model, torch.zeros(1, 3, size, size))
    flops.unsupported_ops_warnings(False)
    flops.uncalled_modules_warnings(False)
    by_module = flops.by_module()
    total = flops.total()  # one fused multiply-add counts once
    return dict(
        macs=total, params=sum(p.numel() for p in model.parameters()),
        macs_share={part: by_module.get(part, 0) / total
                    for part in ('backbone', 'neck', 'bbox_head')})


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
    # the base pass's loss over the last epoch (fresh images: it is what
    # the model achieves, not what it memorised)
    result['train_loss_last_epoch'] = hub.get_scalar('train/loss').mean(iters)
    result['seconds'] = seconds
    result['epochs'] = cfg.train_cfg.max_epochs
    result.update(complexity(cfg, cfg.get('input_size', (160, 160))[0]))
    result['env'] = run_environment()
    return result


def key_of(arm, widen, variant, epochs, seed) -> str:
    return f'{arm}|w{widen}|{variant}|e{epochs}|s{seed}'


def _arm_config(args, arm) -> str:
    return args.netaug if arm.startswith('netaug') else args.baseline


def _variant_applies(arm, variant) -> bool:
    """Whether ``variant`` changes ``arm`` (the w0 control keeps its zero
    loss weight, so a loss-weight variant leaves it as it is)."""
    if variant == 'default':
        return False
    scope, opts = VARIANTS[variant]
    return scope == 'all' or arm == 'netaug' or (
        arm == 'netaug_w0' and 'train_cfg.aug_loss_weight' not in opts)


def _arm_options(arm, variant) -> dict:
    options = {}
    if _variant_applies(arm, variant):
        options.update(VARIANTS[variant][1])
    if arm == 'netaug_w0':
        options['train_cfg.aug_loss_weight'] = 0.0
    return options


def time_matched_epochs(results, widen, variant, epochs):
    """Epochs the baseline trains in NetAug's wall-clock time, fixed once
    from the first seeds with both runs (so every seed gets the same)."""
    group = f'w{widen}|{variant}|e{epochs}'
    fixed = results.setdefault('time_matched', {})
    if group in fixed:
        return fixed[group]
    pairs = paired(results, 'netaug', 'baseline', widen, variant, epochs)
    if not pairs:
        return None
    ratio = (statistics.mean(n['seconds'] for n, _ in pairs) /
             statistics.mean(b['seconds'] for _, b in pairs))
    fixed[group] = max(epochs + 1, round(epochs * ratio))
    return fixed[group]


def plan(args, results) -> list:
    """(key, arm, config, options, seed) of the runs that can start now;
    a time-matched baseline waits until its NetAug twin's time is known."""
    runs = {}

    def add(arm, widen, variant, seed, epochs=None):
        epochs = epochs or args.epochs
        if arm == 'baseline_time':
            epochs = time_matched_epochs(results, widen, variant, args.epochs)
            if epochs is None:
                return
        options = {**args.mode_options, **width_options(widen, args.widen),
                   **schedule_options(epochs), **_arm_options(arm, variant),
                   **dict(args.cfg_options or {})}
        key = key_of(arm, widen, variant, epochs, seed)
        runs.setdefault(key, (key, arm, _arm_config(args, arm), options,
                              seed))

    # seed by seed, so that an interrupted study has whole seeds; within a
    # seed NetAug and the baseline first (the time-matched run needs them)
    for seed in sorted(set(args.seeds) | set(args.regime_seeds)):
        if 'seeds' in args.studies and seed in args.seeds:
            for arm in ARMS:
                add(arm, args.widen, 'default', seed)
        if 'convergence' in args.studies and seed in args.regime_seeds:
            add('baseline', args.widen, 'default', seed)
            add('baseline', args.widen, 'default', seed, 2 * args.epochs)
            add('baseline', args.wider, 'default', seed)
    if 'widths' in args.studies:
        for widen in args.widths:
            for seed in args.regime_seeds:
                for arm in ARMS:
                    add(arm, widen, 'default', seed)
    if 'regime' in args.studies:
        for seed in args.regime_seeds:
            for arm in ARMS:
                add(arm, args.widen, 'default', seed)
            for variant in args.variants:
                # a variant that changes the supernet (what is widened,
                # sorting, BN policy) needs its own w0 control: the
                # default w0 would not tell the wide gradient apart from
                # the changed supernet
                arms = [arm for arm in ARMS
                        if arm == 'netaug' or _variant_applies(arm, variant)]
                for arm in arms:
                    add(arm, args.widen, variant, seed)
    return list(runs.values())


# ---- statistics -----------------------------------------------------------
def find(results, arm, widen, variant, epochs=None, seeds=None):
    """Runs of one arm and setting, by seed (time-matched: any epochs)."""
    out = {}
    for run in results['runs'].values():
        if (run['arm'] == arm and run['widen'] == widen
                and run['variant'] == variant
                and (epochs is None or run['epochs'] == epochs)
                and (seeds is None or run['seed'] in seeds)):
            out[run['seed']] = run
    return out


def control_runs(results, arm, widen, variant, epochs):
    """The runs a variant is compared with: its own arm where the variant
    changes every arm (or for w0, where it applies), else the default."""
    own = variant if _variant_applies(arm, variant) else 'default'
    ep = None if arm == 'baseline_time' else epochs
    return find(results, arm, widen, own, ep)


def paired(results, arm_a, arm_b, widen, variant, epochs, seeds=None):
    a = find(results, arm_a, widen, variant,
             None if arm_a == 'baseline_time' else epochs, seeds)
    b = control_runs(results, arm_b, widen, variant, epochs)
    pairs = [(a[s], b[s]) for s in sorted(a) if s in b]
    check_pairable([r for pair in pairs for r in pair],
                   f'{arm_a} vs {arm_b} (x{widen}, {variant})',
                   ALLOW_MIXED_VERSIONS)
    return pairs


def comparison(results, widen, variant, epochs, seeds=None) -> dict:
    """Each arm's mAP and NetAug's paired difference against each
    control."""
    out = dict(widen=widen, variant=variant, arms={}, diffs={})
    netaug = find(results, 'netaug', widen, variant, epochs, seeds)
    out['arms']['netaug'] = mean_std(r['bbox_mAP'] for r in netaug.values())
    out['n'] = len(netaug)
    for control in CONTROLS:
        runs = control_runs(results, control, widen, variant, epochs)
        runs = {s: r for s, r in runs.items() if s in netaug}  # paired
        out['arms'][control] = mean_std(r['bbox_mAP'] for r in runs.values())
        pairs = paired(results, 'netaug', control, widen, variant, epochs,
                       seeds)
        d = mean_std(n['bbox_mAP'] - c['bbox_mAP'] for n, c in pairs)
        out['diffs'][control] = dict(mean=d[0], std=d[1], n=len(pairs),
                                     wins=sum(n['bbox_mAP'] > c['bbox_mAP']
                                              for n, c in pairs))
    out['beats_all'] = all(
        d['n'] >= 2 and d['mean'] > 2 * d['std']
        for d in out['diffs'].values())
    return out


def convergence_rows(results, s) -> list:
    rows = []
    for name, widen, epochs in (('1x', s['widen'], s['epochs']),
                                ('2x', s['widen'], 2 * s['epochs']),
                                (f'1x, x{s["wider"]}', s['wider'],
                                 s['epochs'])):
        runs = find(results, 'baseline', widen, 'default', epochs)
        if runs:
            rows.append(dict(name=name, widen=widen, epochs=epochs,
                             seeds=sorted(runs),
                             map=mean_std(r['bbox_mAP']
                                          for r in runs.values()),
                             loss=mean_std(r['train_loss_last_epoch']
                                           for r in runs.values()),
                             macs=next(iter(runs.values()))['macs'],
                             minutes=mean_std(r['seconds'] / 60
                                              for r in runs.values())[0]))
    return rows


def _pm(ms, digits=3, sign=''):
    if math.isnan(ms[0]):
        return '-'
    if math.isnan(ms[1]):
        return f'{ms[0]:{sign}.{digits}f}'
    return f'{ms[0]:{sign}.{digits}f} +/- {ms[1]:.{digits}f}'


def _diff_cells(c):
    cells = []
    for control in CONTROLS:
        d = c['diffs'][control]
        cells.append('-' if not d['n'] else
                     f'{_pm((d["mean"], d["std"]), sign="+")} '
                     f'({d["wins"]}/{d["n"]})')
    return cells


def report(results: dict) -> str:
    """All tables, as printed and as pasted into the README."""
    s = results['settings']
    lines = []
    conv = convergence_rows(results, s)
    if conv:
        lines += ['', f'Convergence of the baseline twin (x{s["widen"]}, '
                  f'{s["size"]} px; mAP mean +/- std over the seeds):', '',
                  '| schedule | epochs | seeds | MACs | mAP | train loss, '
                  'last epoch | minutes |', '| --- ' * 7 + '|']
        for r in conv:
            lines.append(f'| {r["name"]} | {r["epochs"]} | {r["seeds"]} | '
                         f'{r["macs"] / 1e6:.0f}M | {_pm(r["map"])} | '
                         f'{_pm(r["loss"], 1)} | {r["minutes"]:.1f} |')
        by = {r['name']: r for r in conv}
        if '1x' in by and '2x' in by:
            one = find(results, 'baseline', s['widen'], 'default',
                       s['epochs'])
            two = find(results, 'baseline', s['widen'], 'default',
                       2 * s['epochs'])
            pairs = [two[k]['bbox_mAP'] - one[k]['bbox_mAP'] for k in one
                     if k in two]
            wide = find(results, 'baseline', s['wider'], 'default',
                        s['epochs'])
            wider = [wide[k]['bbox_mAP'] - one[k]['bbox_mAP'] for k in one
                     if k in wide]
            if pairs:
                lines.append(f'\n2x minus 1x, paired: '
                             f'{_pm(mean_std(pairs))} (n={len(pairs)})')
            if wider:
                lines.append(f'x{s["wider"]} minus x{s["widen"]} (1x), '
                             f'paired: {_pm(mean_std(wider))} '
                             f'(n={len(wider)})')
    header = ['| setting | n | NetAug | ' +
              ' | '.join(ARM_NAMES[c] for c in CONTROLS) +
              ' | NetAug - ' + ' | NetAug - '.join(
                  ARM_NAMES[c] for c in CONTROLS) + ' | beats all 3 |',
              '| --- ' * 10 + '|']
    rows = []
    widths = sorted({r['widen'] for r in results['runs'].values()})
    variants = ['default'] + [v for v in VARIANTS if any(
        r['variant'] == v for r in results['runs'].values())]
    for widen in widths:
        for variant in variants:
            c = comparison(results, widen, variant, s['epochs'])
            if not c['n']:
                continue
            name = f'x{widen}, {variant}'
            rows.append(f'| {name} | {c["n"]} | {_pm(c["arms"]["netaug"])} '
                        '| ' + ' | '.join(_pm(c['arms'][a])
                                          for a in CONTROLS) +
                        ' | ' + ' | '.join(_diff_cells(c)) +
                        f' | {"yes" if c["beats_all"] else "no"} |')
    if rows:
        lines += ['', 'NetAug against the three controls (bbox mAP mean '
                  '+/- std; paired differences mean +/- std, NetAug wins / '
                  'pairs; "beats all 3" = every paired mean > 2 std):', '']
        lines += header + rows
    times = results.get('time_matched', {})
    if times:
        lines += ['', 'Time-matched baseline epochs (NetAug wall-clock / '
                  'baseline wall-clock x epochs): ' +
                  ', '.join(f'{k}: {v}' for k, v in times.items())]
    return '\n'.join(lines)


def merge(paths) -> dict:
    results = dict(runs={}, time_matched={})
    for path in paths:
        with open(path) as f:
            part = json.load(f)
        results['runs'].update(part['runs'])
        results['time_matched'].update(part.get('time_matched', {}))
        results.setdefault('settings', part['settings'])
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--mode', choices=tuple(MODES), default='quick')
    parser.add_argument('--studies', nargs='+',
                        choices=('convergence', 'seeds', 'widths', 'regime'),
                        default=['convergence', 'seeds'])
    parser.add_argument('--netaug', default=PAIR['netaug'])
    parser.add_argument('--baseline', default=PAIR['baseline'])
    parser.add_argument('--seeds', type=int, nargs='+',
                        help='seeds of the seeds study (5 for a headline)')
    parser.add_argument('--regime-seeds', type=int, nargs='+',
                        help='seeds of the convergence, widths and regime '
                        'studies')
    parser.add_argument('--widths', type=float, nargs='+',
                        default=[0.25, 0.35, 0.5])
    parser.add_argument('--variants', nargs='+', choices=tuple(VARIANTS),
                        default=list(VARIANTS))
    parser.add_argument('--work-dir', default='work_dirs/accuracy')
    parser.add_argument('--out', help='results JSON (default: '
                        'WORK_DIR/<mode>.json); finished runs in it are '
                        'not run again')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='applied to every run')
    parser.add_argument('--png-dir', help='also write the plots here')
    parser.add_argument('--allow-mixed-versions', action='store_true',
                        help='pair runs made with different versions or '
                        'thread counts (each run records them)')
    parser.add_argument('--plot-only', nargs='+', metavar='RESULTS_JSON',
                        help='print and plot earlier runs (merged); train '
                        'nothing')
    args = parser.parse_args()
    global ALLOW_MIXED_VERSIONS
    ALLOW_MIXED_VERSIONS = args.allow_mixed_versions
    if args.plot_only:
        results = merge(args.plot_only)
        print(report(results))
        if args.png_dir:
            from accuracy_plots import plot_all
            print('\n'.join(plot_all(results, args.png_dir, comparison,
                                     convergence_rows)))
        return
    m = MODES[args.mode]
    args.seeds = args.seeds or m['seeds']
    args.regime_seeds = args.regime_seeds or m['regime_seeds']
    args.widen, args.wider, args.epochs = m['widen'], m['wider'], m['epochs']
    args.mode_options = m['options']
    args.out = osp.abspath(
        args.out or osp.join(args.work_dir, f'{args.mode}.json'))
    os.chdir(ROOT)
    settings = dict(
        mode=args.mode, netaug=args.netaug, baseline=args.baseline,
        widen=args.widen, wider=args.wider, epochs=args.epochs,
        size=m['size'], options=m['options'])
    done = 0
    while True:
        with locked_results(args.out) as results:
            results['settings'] = settings
            claimed = results.setdefault('claimed', {})
            for key, pid in list(claimed.items()):
                if not _alive(pid):  # a worker that died
                    del claimed[key]
            # re-planned each time: a time-matched run becomes possible
            # once its NetAug twin's time is known
            todo = [r for r in plan(args, results)
                    if r[0] not in results['runs'] and r[0] not in claimed]
            if todo:
                key, arm, cfg, options, seed = todo[0]
                claimed[key] = os.getpid()
            busy = bool(claimed)
        if not todo:
            if not busy:
                break
            time.sleep(15)  # another worker's run may unlock more
            continue
        work_dir = osp.join(args.work_dir, args.mode,
                            key.replace('|', '_').replace(' ', '-'))
        result = train_once(cfg, seed, work_dir, options)
        result.update(arm=arm, widen=options['model.backbone.widen_factor'],
                      variant=key.split('|')[2], config=cfg,
                      options=options, seed=seed)
        with locked_results(args.out) as results:
            results['runs'][key] = result
            results['claimed'].pop(key, None)
        done += 1
        print(f'[{done}, {len(todo) - 1} left] {key}: mAP '
              f'{result["bbox_mAP"]:.3f} ({result["seconds"] / 60:.1f} min)',
              flush=True)
    with open(args.out) as f:
        results = json.load(f)
    print(report(results))
    if args.png_dir:
        from accuracy_plots import plot_all
        print('\n'.join(plot_all(results, args.png_dir, comparison,
                                 convergence_rows)))


if __name__ == '__main__':
    main()
