"""The pretraining studies, as data (issue 30): the paper's regime in
miniature, where training converges.

Fashion-MNIST items as classification (``configs/fashion_cls/``): the
pretraining of the tiny backbone that the detection task fine-tunes.

* ``pretrain_pilot``: per ``--settings``, the tiny baseline at S and 2S
  (converged at S when 2S gains under 0.3 points top-1) and the wide one
  at S (capacity-limited when it leads by at least 1 point), one seed,
  validated every S/4 epochs (the curves).
* ``pretrain``: in the chosen setting (default: the first), figure 6's
  row for this task, seeds paired, every run cosine: the baseline at S
  (5 seeds), kS (3; k = NetAug's measured core-second ratio; kept: the
  start of fine-tuning's equal-cost control) and 4S (3),
  NetAug at S (5), the wide baseline at S (3), the teacher (x1.0 at 4S,
  seed 0), and once it is trained KD and KD + NetAug at S (3 each).

Checkpoints that later studies read (the teacher, and the runs at S that
detection fine-tuning starts from) are copied, weights only, to
``docs/results/pretrained/`` when their run finishes: a session's machine
does not outlive it, the repository does.
"""
import os.path as osp

from .common import ROOT, cost_matched_epochs, cost_ratio, key_of, safe

CONFIGS = dict(
    baseline='configs/fashion_cls/baseline_mbv2_fashion_cls.py',
    wide='configs/fashion_cls/baseline_mbv2_fashion_cls.py',
    teacher='configs/fashion_cls/teacher_mbv2_x1.0_fashion_cls.py',
    netaug='configs/fashion_cls/netaug_mbv2_fashion_cls.py',
    kd='configs/fashion_cls/kd_mbv2_fashion_cls.py',
    kd_netaug='configs/fashion_cls/kd_netaug_mbv2_fashion_cls.py')
ARM_NAMES = dict(teacher='teacher (x1.0 at 4S)', kd='KD',
                 kd_netaug='KD + NetAug')
NETAUG_ARMS = ('netaug', 'kd_netaug')
KD_ARMS = ('kd', 'kd_netaug')
KEPT_DIR = 'docs/results/pretrained'


# the detectors' input normalisation (configs/fashion/ inherit mmdet's)
DETECTION_INPUT = {
    'model.data_preprocessor.mean': [123.675, 116.28, 103.53],
    'model.data_preprocessor.std': [58.395, 57.12, 57.375],
    'model.data_preprocessor.bgr_to_rgb': True}


def _items(**kwargs):
    return {f'{loader}.dataset.{k}': v for k, v in kwargs.items()
            for loader in ('train_dataloader', 'val_dataloader')}


# name: widen (tiny), wide (x1.0), unit: the pilot's S in epochs of the
# 60,000 training items, study_unit: the study's S (the pilot's choice),
# images per epoch, input size, options, cost: core-s an epoch by arm
# (one thread, measured: x0.35 75-93 at 32 px and 165-189 at 56 px; x1.0
# 200-249 and 508; NetAug 433 at 32 px with widths on) until runs of the
# setting measure their own. The pilot's S was sized so that the study
# (about 90 S of the tiny baseline's core-seconds: 5 + 12 + 3k baseline,
# 5k NetAug, 3 x 2.8 wide, 11 teacher, KD arms; k ~ 3.7) would fit ~40
# core-hours; at 32 px it was not converged at 16 epochs (+1.45 points to
# 32) nor at 32 (see docs/results/README.md), and the study's S is 32:
# 64 would double a study of ~60 core-hours.
PRETRAIN_SETTINGS = {
    'plain items, 32 px': dict(
        widen=0.35, wide=1.0, unit=16, study_unit=32, images=60000,
        size=32, options={},
        cost=dict(baseline=93.0, wide=255.0, teacher=255.0, netaug=340.0,
                  kd=130.0, kd_netaug=380.0)),
    'plain items at 48 px, 56 px': dict(
        widen=0.35, wide=1.0, unit=8, study_unit=8, images=60000, size=56,
        options={**_items(img_size=56, item_size=48, pad=8),
                 'img_size': 56},
        cost=dict(baseline=190.0, wide=520.0, teacher=520.0, netaug=700.0,
                  kd=260.0, kd_netaug=780.0)),
    # the detection task's look: one item, tinted, 14-40 px (the
    # detector's object sizes) on a procedural background; colour, so the
    # input is normalised as the detector's (RGB, ImageNet mean and std)
    # for the first layer to hand off as it learnt
    'pasted items 14-40 px, 40 px': dict(
        widen=0.35, wide=1.0, unit=8, study_unit=8, images=60000, size=40,
        options={**_items(mode='pasted', img_size=40, min_size=14,
                          max_size=40),
                 'img_size': 40, **DETECTION_INPUT},
        cost=dict(baseline=150.0, wide=400.0, teacher=400.0, netaug=550.0,
                  kd=200.0, kd_netaug=600.0)),
}


def owns(setting) -> bool:
    return setting in PRETRAIN_SETTINGS


def is_netaug(arm) -> bool:
    return arm in NETAUG_ARMS


def schedule_options(epochs: int, val_every: int, ckpt_every: int) -> dict:
    """The classification config's schedule at ``epochs``: one warm-up
    epoch, then cosine to zero."""
    return {'train_cfg.max_epochs': epochs,
            'train_cfg.val_interval': val_every,
            'param_scheduler.1.end': epochs,
            'param_scheduler.1.T_max': epochs - 1,
            'default_hooks.checkpoint.interval': ckpt_every,
            'default_hooks.checkpoint.max_keep_ckpts': 2,
            'default_hooks.logger.interval': 200}


def teacher_run(setting) -> dict:
    s = PRETRAIN_SETTINGS[setting]
    return dict(setting=setting, arm='teacher', widen=s['wide'],
                epochs=4 * s['study_unit'], seed=0,
                val_every=s['study_unit'], phase=0,
                keep=True)


def kept_files(kept_dir, key) -> tuple:
    """(config, weights) of a finished ``keep`` run (``--kept-dir``)."""
    path = osp.join(kept_dir or osp.join(ROOT, KEPT_DIR), safe(key))
    return path + '.py', path + '.pth'


def run_options(args, run) -> tuple:
    """The config a planned pretraining run trains and its options; a KD
    run reads the teacher's kept config and weights."""
    s = PRETRAIN_SETTINGS[run['setting']]
    options = {**s['options'], 'model.backbone.widen_factor': run['widen'],
               **schedule_options(run['epochs'], max(1, run['val_every']),
                                  args.ckpt_every)}
    if run['arm'] in KD_ARMS:
        teacher = teacher_run(run['setting'])
        key = key_of(**{k: teacher[k] for k in ('setting', 'arm', 'widen',
                                                'epochs', 'seed')})
        config, weights = kept_files(getattr(args, 'kept_dir', None), key)
        options['model.distill.config'] = config
        options['model.distill.checkpoint'] = weights
    return CONFIGS[run['arm']], options


def input_size(setting, cfg=None) -> int:
    return PRETRAIN_SETTINGS[setting]['size']


def images_per_epoch(setting, cfg=None) -> int:
    return PRETRAIN_SETTINGS[setting]['images']


def scores(final: dict, curve: dict, progress: dict) -> dict:
    """The result fields of a finished classification run: top-1 (%) at
    the end and along the way, and the training top-1 of each epoch (on
    augmented images, base network)."""
    return dict(top1=final.get('top1', 0.0),
                curve={str(k): v.get('top1', 0.0)
                       for k, v in sorted(curve.items())},
                train_top1={k: v['train_top1']
                            for k, v in progress['epochs'].items()
                            if 'train_top1' in v})


# ---- plans --------------------------------------------------------------
CONVERGED_GAIN = 0.3  # top-1 points from S to 2S: converged at S below


def pilot_plan(args, results) -> list:
    """Per setting: the tiny baseline at S and 2S and the wide one at S,
    validated every S/4 epochs. Where S is not converged (S to 2S gains
    0.3 points or more), 2S is tried as S: the baseline at 4S and the wide
    one at 2S join. The baseline at the study's S is also the study's
    (seed 0), so it keeps its weights as the study's does."""
    runs = []
    for setting in args.settings:
        s = PRETRAIN_SETTINGS[setting]
        unit, tiny = s['unit'], s['widen']
        plan = [('baseline', tiny, 2), ('wide', s['wide'], 1),
                ('baseline', tiny, 1)]
        at = {m: results['runs'].get(key_of(setting, 'baseline', tiny,
                                            m * unit, 0)) for m in (1, 2)}
        if at[1] and at[2] and \
                at[2]['top1'] - at[1]['top1'] >= CONVERGED_GAIN:
            plan += [('baseline', tiny, 4), ('wide', s['wide'], 2)]
        for arm, widen, mult in plan:
            runs.append(dict(setting=setting, arm=arm, widen=widen,
                             epochs=mult * unit, seed=0,
                             val_every=max(1, unit // 4), phase=0,
                             keep=(arm == 'baseline' and
                                   mult * unit == s['study_unit'])))
    return runs


def pretrain_plan(args, results) -> list:
    """Figure 6's row for this task in the chosen setting. Phase 0: the
    runs at S that fix k, and the teacher the KD arms wait for; the runs
    at S that fine-tuning starts from keep their weights."""
    setting = args.settings[0]
    s = PRETRAIN_SETTINGS[setting]
    unit, tiny = s['study_unit'], s['widen']
    five, three = args.seeds, args.seeds[:3]
    runs = []

    def add(arm, widen, mult, seeds, phase=1, keep=False):
        runs.extend(dict(setting=setting, arm=arm, widen=widen,
                         epochs=round(mult * unit), seed=seed,
                         val_every=max(1, unit // 4), phase=phase,
                         keep=keep) for seed in seeds)

    add('baseline', tiny, 1, five, phase=0, keep=True)
    add('netaug', tiny, 1, five, phase=0, keep=True)
    runs.append(teacher_run(setting))
    add('wide', s['wide'], 1, three)
    k = cost_ratio(results, setting, unit, tiny)
    k_epochs = None if k is None else cost_matched_epochs(k, unit)
    if k_epochs not in (None, 4 * unit):  # kept: (f4) starts from it
        add('baseline', tiny, k_epochs / unit, three, keep=True)
    add('baseline', tiny, 4, three, keep=k_epochs == 4 * unit)
    teacher = teacher_run(setting)
    if key_of(**{f: teacher[f] for f in ('setting', 'arm', 'widen',
                                         'epochs', 'seed')}) in \
            results['runs']:
        add('kd', tiny, 1, three, keep=True)
        add('kd_netaug', tiny, 1, three, keep=True)
    return runs
