"""The detection studies, as data: where does NetAug pay when a tiny
detector trains from scratch?

YOLOv3 + MobileNetV2 on Fashion-MNIST items pasted on procedural
backgrounds (``configs/fashion/``):

* ``pilot``: baseline twins only, to choose the setting and the schedule
  unit S. For each ``--settings``: the tiny baseline at 2S and 4S and a
  baseline as wide as NetAug's widest sample at 2S (and at 4S where it
  leads at 2S), validated every S/2 epochs (the curves). A setting
  qualifies when the wide baseline beats the tiny one by >= 0.05 mAP at
  4S and its ladder fits the budget; among those, the one whose tiny
  baseline gains least from 2S to 4S wins.
* ``ladder``: in the chosen setting (default: the first), cosine
  schedules with their own unit S (``ladder_unit``), one run per
  schedule, seeds paired: the baseline twin at S, 2S, kS and 4S (k =
  NetAug's measured cost ratio), NetAug at S, 2S and 4S, the wide
  baseline at S (3 seeds) and 4S (seed 0). Answers: NetAug at S against
  the baseline at S, at the same cost (kS) and at 4S (the paper's
  comparison), and how NetAug's lead moves from S to 4S.
* ``variants``: the two NetAug variants that came closest on the shapes
  (``+ neck``: the neck widens too; ``aug_loss_weight 0.5``) at the
  ladder's S, 3 seeds, paired with the ladder's baseline twin and NetAug
  at S.
* ``yolox`` (issue 19): NetAug against its baseline twin for YOLOX-nano
  on the same task at the ladder's S, 5 seeds, and the twin at kS (the
  same core-seconds as NetAug at S), 3 seeds, paired.
"""
from mmdet.models.utils import make_divisible

from accuracy import VARIANTS as SHAPES_VARIANTS
from .common import cost_matched_epochs, cost_ratio, find, score

CONFIGS = dict(baseline='configs/fashion/baseline_yolo_mbv2_fashion.py',
               netaug='configs/fashion/netaug_yolo_mbv2_fashion.py')
# the ladder's core-seconds in units of S x t (t: the tiny baseline's per
# epoch), as the pilot sized it (before the baseline at 2S was added, +6S):
# baseline 5S + 3kS + 12S, NetAug (5S + 6S + 12S) x k, wide 5S x 2.1,
# with k = 2.7 measured (NetAug 3.3x with widths on, 2.1x after)
LADDER_COST_UNITS = 97.7


def _objects(num, lo, hi):
    opts = {}
    for loader in ('train_dataloader', 'val_dataloader'):
        opts.update({f'{loader}.dataset.num_objects': num,
                     f'{loader}.dataset.min_size': lo,
                     f'{loader}.dataset.max_size': hi})
    return opts


def _anchors(scale):
    """The config's anchors (for 14-40 px objects at 96 px) scaled."""
    base = [[(31, 31), (24, 38), (38, 24)], [(18, 18), (14, 22), (22, 14)],
            [(10, 10), (8, 12), (12, 8)]]
    return {'model.bbox_head.anchor_generator.base_sizes': [
        [(round(w * scale), round(h * scale)) for w, h in level]
        for level in base]}


def _input_size(size):
    return {'input_size': (size, size),
            'train_dataloader.dataset.img_size': size,
            'val_dataloader.dataset.img_size': size,
            'train_dataloader.dataset.pipeline.2.scale': (size, size),
            'val_dataloader.dataset.pipeline.1.scale': (size, size)}


# name: widen (tiny), wide (as wide as NetAug's widest sample, x2.6),
# neck/head channels, unit: the pilot's S in epochs of 512 images,
# options. The pilot's S was set from the measured baseline core-seconds
# per epoch t so that the ladder, about LADDER_COST_UNITS x S x t, would fit
# about 30 core-hours (t measured
# over 3 epochs, one thread: 4.7, 4.8, 6.2, 4.4, 4.5 in this order; x1.0
# 9.8; NetAug 15.5 with widths on, 9.9 after they stop).
#
# ``ladder_unit`` is the ladder's S. Sessions run on fresh machines, so a
# run that does not finish within one session is lost with its checkpoints
# (this happened to the pilot's 960-epoch runs): S is set so that the
# ladder's longest run, NetAug at 4S (~2.7 x 4S x t), takes about 1.35
# core-hours and fits a session with room; S = 80 epochs at t = 5.5.
SETTINGS = {
    '3-8 items 14-40px, 96px, x0.35, neck 32': dict(
        widen=0.35, wide=1.0, neck=32, unit=240, ladder_unit=80,
        options={}),
    '1-3 items 20-56px, 96px, x0.35, neck 32': dict(
        widen=0.35, wide=1.0, neck=32, unit=230, ladder_unit=80,
        options={**_objects((1, 3), 20, 56), **_anchors(1.4)}),
    '3-8 items 19-54px, 128px, x0.35, neck 32': dict(
        widen=0.35, wide=1.0, neck=32, unit=180, ladder_unit=60,
        options={**_objects((3, 8), 19, 54), **_anchors(1.33),
                 **_input_size(128)}),
    '3-8 items 14-40px, 96px, x0.25, neck 32': dict(
        widen=0.25, wide=0.65, neck=32, unit=250, ladder_unit=85,
        options={}),
    '3-8 items 14-40px, 96px, x0.35, neck 16': dict(
        widen=0.35, wide=1.0, neck=16, unit=240, ladder_unit=85,
        options={}),
}
# ``--study yolox`` (issue 19): NetAug against its baseline twin for
# YOLOX-nano on the same task at the ladder's S, 5 seeds, and the twin at
# kS, 3 seeds, with mmdet's YOLOX recipe (Mosaic, the mode switch for the
# last 15/240 of training, EMA) scaled to each schedule
YOLOX_PAIR = 'YOLOX-nano, 3-8 items 14-40px, 96px'
PAIRS = {
    YOLOX_PAIR: dict(
        widen=0.25, ladder_unit=80, cost=dict(baseline=17.0, netaug=45.0),
        configs=dict(
            baseline='configs/fashion/baseline_yolox_nano_fashion.py',
            netaug='configs/fashion/netaug_yolox_nano_fashion.py')),
}

# ``--study variants``: arm: the shapes study's variant of the same name
# (benchmarks/accuracy.py), so both studies mean the same options
VARIANTS = {arm: (name, SHAPES_VARIANTS[name][1]) for arm, name in (
    ('netaug_neck', '+ neck'), ('netaug_alw0.5', 'aug_loss_weight 0.5'))}
ARM_NAMES = dict(baseline='baseline twin', netaug='NetAug',
                 wide='wide baseline',
                 **{arm: f'NetAug, {name}' for arm, (name, _) in
                    VARIANTS.items()})


def model_options(widen: float, neck: int) -> dict:
    """MobileNetV2 ``widen_factor`` and the neck inputs that fit it (the
    YOLO configs read stages 2, 4, 6: 32, 96, 320 channels at x1.0); neck
    and head hidden widths stay ``neck`` at every backbone width."""
    stages = [make_divisible(c * widen, 8) for c in (320, 96, 32)]
    return {'model.backbone.widen_factor': widen,
            'model.neck.in_channels': stages,
            'model.neck.out_channels': [neck] * 3,
            'model.bbox_head.in_channels': [neck] * 3,
            'model.bbox_head.out_channels': [neck] * 3}


def schedule_options(epochs: int, val_every: int, ckpt_every: int) -> dict:
    return {'train_cfg.max_epochs': epochs,
            'train_cfg.val_interval': val_every,
            'param_scheduler.1.end': epochs,
            'default_hooks.checkpoint.interval': ckpt_every,
            # 2, not 1: mmengine deletes the oldest before it writes the
            # new one, so a run killed while saving still has a valid one
            'default_hooks.checkpoint.max_keep_ckpts': 2,
            'default_hooks.logger.interval': 200}


def yolox_schedule_options(epochs: int, val_every: int,
                           ckpt_every: int) -> dict:
    """The YOLOX fashion config's schedule scaled to ``epochs``: warm-up
    5 epochs, cosine, then a constant LR with the mode switch (no Mosaic,
    L1 loss) for the last 15/240 of training."""
    last = max(1, round(epochs * 15 / 240))
    warm = min(5, (epochs - last) // 2)  # 5 but in smoke runs
    return {'train_cfg.max_epochs': epochs,
            'train_cfg.val_interval': val_every,
            'param_scheduler.0.end': warm,
            'param_scheduler.1.begin': warm,
            'param_scheduler.1.T_max': epochs - last,  # as the config
            'param_scheduler.1.end': epochs - last,
            'param_scheduler.2.begin': epochs - last,
            'param_scheduler.2.end': epochs,
            'custom_hooks.0.num_last_epochs': last,
            'default_hooks.checkpoint.interval': ckpt_every,
            'default_hooks.checkpoint.max_keep_ckpts': 2,
            'default_hooks.logger.interval': 200}


def is_netaug(arm) -> bool:
    return arm == 'netaug' or arm in VARIANTS


# ---- plans ----------------------------------------------------------------
def pilot_plan(args, results) -> list:
    """Per setting: the tiny baseline at 2S and 4S and the wide one at 2S;
    the wide one at 4S (also a ladder run) where the wide baseline leads
    by >= 0.04 at 2S, so it may reach the 0.05 needed at 4S."""
    runs = []
    for setting in args.settings:
        s = SETTINGS[setting]
        unit = s['unit']

        def add(arm, widen, mult):
            runs.append(dict(setting=setting, arm=arm, widen=widen,
                             epochs=mult * unit, seed=0,
                             val_every=unit // 2))

        add('baseline', s['widen'], 2)
        add('wide', s['wide'], 2)
        add('baseline', s['widen'], 4)
        tiny = find(results, setting, 'baseline', s['widen'], 2 * unit)
        wide = find(results, setting, 'wide', s['wide'], 2 * unit)
        if 0 in tiny and 0 in wide and \
                score(wide[0]) - score(tiny[0]) >= 0.04:
            add('wide', s['wide'], 4)
    return runs


def ladder_plan(args, results) -> list:
    setting = args.settings[0]
    s = SETTINGS[setting]
    unit, tiny = s['ladder_unit'], s['widen']
    runs = []

    def add(arm, widen, mult, seeds):
        for seed in seeds:
            # phase 0: the runs at S that k (and so the kS run) waits for
            runs.append(dict(setting=setting, arm=arm, widen=widen,
                             epochs=round(mult * unit), seed=seed,
                             val_every=unit // 2,
                             phase=int(not (mult == 1 and arm != 'wide'))))

    five, three = args.seeds, args.seeds[:3]
    # S first (it fixes k), then the longer schedules
    add('baseline', tiny, 1, five)
    add('netaug', tiny, 1, five)
    # 3 seeds at S: the capacity claim (wide beats tiny) is paired too
    add('wide', s['wide'], 1, three)
    k = cost_ratio(results, setting, unit, tiny)
    k_epochs = None if k is None else cost_matched_epochs(k, unit)
    if k_epochs not in (None, 4 * unit):  # else the 4S runs below serve
        add('baseline', tiny, k_epochs / unit, three)
    add('netaug', tiny, 2, three)
    add('baseline', tiny, 2, three)  # (d): NetAug's lead at 2S, paired
    add('baseline', tiny, 4, three)
    add('netaug', tiny, 4, three)
    add('wide', s['wide'], 4, three[:1])
    return runs


def yolox_plan(args, results) -> list:
    """YOLOX-nano: NetAug and its baseline twin at S (5 seeds), and, once
    NetAug's cost ratio k is measured, the twin at kS (3 seeds): the
    question is the ladder's, whether NetAug beats spending its cost on
    epochs."""
    s = PAIRS[YOLOX_PAIR]
    unit = s['ladder_unit']

    def run(arm, epochs, seed, phase):
        return dict(setting=YOLOX_PAIR, arm=arm, widen=s['widen'],
                    epochs=epochs, seed=seed, val_every=unit // 2,
                    phase=phase)

    runs = [run(arm, unit, seed, 0)
            for seed in args.seeds for arm in ('baseline', 'netaug')]
    k = cost_ratio(results, YOLOX_PAIR, unit, s['widen'])
    if k is not None:
        runs += [run('baseline', cost_matched_epochs(k, unit), seed, 1)
                 for seed in args.seeds[:3]]
    return runs


def variants_plan(args, results) -> list:
    """The NetAug variants at the ladder's S, 3 seeds (their baseline twin
    and plain NetAug at S are the ladder's runs)."""
    setting = args.settings[0]
    s = SETTINGS[setting]
    return [dict(setting=setting, arm=arm, widen=s['widen'],
                 epochs=s['ladder_unit'], seed=seed,
                 val_every=s['ladder_unit'] // 2, phase=0)
            for seed in args.seeds[:3] for arm in VARIANTS]


def owns(setting) -> bool:
    return setting in SETTINGS or setting in PAIRS


def run_options(args, run) -> tuple:
    """The config a planned detection run trains and the options that set
    its width, schedule and arm."""
    arm, setting, widen, epochs = (run['arm'], run['setting'], run['widen'],
                                   run['epochs'])
    val_every = max(1, run['val_every'])
    if setting in PAIRS:
        return PAIRS[setting]['configs'][arm], yolox_schedule_options(
            epochs, val_every, args.ckpt_every)
    s = SETTINGS[setting]
    config = CONFIGS['netaug' if is_netaug(arm) else 'baseline']
    return config, {**s['options'], **model_options(widen, s['neck']),
                    **schedule_options(epochs, val_every, args.ckpt_every),
                    **VARIANTS.get(arm, (None, {}))[1]}


def input_size(setting, cfg) -> int:
    return cfg.get('input_size', cfg.get('img_scale', (96, 96)))[0]


def images_per_epoch(setting, cfg) -> int:
    dataset = cfg.train_dataloader.dataset
    while 'dataset' in dataset:  # YOLOX: MultiImageMixDataset
        dataset = dataset.dataset
    return dataset.num_images


def scores(final: dict, curve: dict, progress: dict) -> dict:
    """The result fields of a finished detection run."""
    return dict(bbox_mAP=final.get('bbox_mAP', 0.0),
                bbox_mAP_50=final.get('bbox_mAP_50', 0.0),
                curve={str(k): v.get('bbox_mAP', 0.0)
                       for k, v in sorted(curve.items())})
