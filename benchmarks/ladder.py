"""Where does NetAug pay? Accuracy against training compute, on a task of
real objects where a tiny detector is short of width.

YOLOv3 + MobileNetV2 on Fashion-MNIST items pasted on procedural
backgrounds (``configs/fashion/``). Studies (``--study``):

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
  baseline at S (3 seeds) and 4S (seed 0). Answers: NetAug at S against the baseline at S,
  at the same cost (kS) and at 4S (the paper's comparison), and how
  NetAug's lead moves from S to 4S.

* ``variants``: the two NetAug variants that came closest on the shapes
  (``+ neck``: the neck widens too; ``aug_loss_weight 0.5``) at the
  ladder's S, 3 seeds, paired with the ladder's baseline twin and NetAug
  at S.

* ``yolox`` (issue 19): NetAug against its baseline twin for YOLOX-nano
  on the same task at the ladder's S, 5 seeds, and the twin at kS (the
  same core-seconds as NetAug at S), 3 seeds, paired.

Cost is measured two ways: core-seconds (process CPU time of the training
epochs, one thread per worker; validation excluded) and training MACs
(images x 3 x the forward MACs of the networks that ran: the base pass,
plus for NetAug the mean over the run's own sampled wide networks).

Runs save a checkpoint every ``--ckpt-every`` epochs and resume from it
(mmengine's resume) within a machine's life; each finished run is written
to ``--out`` at once, and workers (``OMP_NUM_THREADS=1``, any number) share
the file under a lock. A session's machine does not outlive it, so the
ladder's S is sized for its longest run to fit one session, and
``--stop-by HH:MM`` starts only runs that can finish in time (and stops one
that falls behind). Every run records its versions; the report refuses to
pair runs of different versions unless ``--allow-mixed-versions``.

    OMP_NUM_THREADS=1 python benchmarks/ladder.py --study ladder \
        --work-dir /work/ladder_runs --stop-by 16:50 &   # two workers
    python benchmarks/ladder.py --study ladder --report-only \
        --png-dir docs/results
"""
import argparse
import json
import os
import os.path as osp
import random
import statistics
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from mmdet.models.utils import make_divisible  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.hooks import Hook  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

import mmnetaug  # noqa: E402,F401
from accuracy import VARIANTS as SHAPES_VARIANTS  # noqa: E402
from accuracy import _alive, locked_results, mean_std  # noqa: E402


def _boot_id() -> str:
    try:
        with open('/proc/sys/kernel/random/boot_id') as f:
            return f.read().strip()
    except OSError:
        return 'unknown'


def claim_alive(claim) -> bool:
    """A worker's claim [pid, boot id] holds while that process runs on
    this machine's current boot (the results file travels between
    machines and sessions, where the same pid means nothing)."""
    if not isinstance(claim, list):  # a bare pid: this machine's
        return _alive(claim)
    pid, boot = claim
    return boot == _boot_id() and _alive(pid)
from mmnetaug.utils.run_env import (check_pairable,  # noqa: E402
                                    environment_mismatch, run_environment)

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
# ---- pretraining (issue 30): the paper's regime in miniature ------------
# Fashion-MNIST items as classification (configs/fashion_cls/), the tiny
# backbone's pretraining before detection fine-tuning. ``unit``: the
# pilot's S in epochs of the 60,000 training items, sized so that the study
# (about 90 S of the tiny baseline's core-seconds: 5 + 12 + 3k baseline, 5k
# NetAug, 3 x 2.2 wide, 8.8 teacher, KD arms, with k ~ 4.5) fits ~40
# core-hours at the measured ~80 core-s an epoch (x0.35, 32 px, one thread).
CLS_CONFIGS = dict(
    baseline='configs/fashion_cls/baseline_mbv2_fashion_cls.py',
    wide='configs/fashion_cls/baseline_mbv2_fashion_cls.py',
    netaug='configs/fashion_cls/netaug_mbv2_fashion_cls.py')


def _items(**kwargs):
    return {f'{loader}.dataset.{k}': v for k, v in kwargs.items()
            for loader in ('train_dataloader', 'val_dataloader')}


PRETRAIN_SETTINGS = {
    'plain items, 32 px': dict(
        widen=0.35, wide=1.0, unit=16, images=60000, size=32, options={}),
    'plain items at 48 px, 56 px': dict(
        widen=0.35, wide=1.0, unit=8, images=60000, size=56,
        options={**_items(img_size=56, item_size=48, pad=8),
                 'img_size': 56}),
}


def is_cls(setting) -> bool:
    return setting in PRETRAIN_SETTINGS


def cls_schedule_options(epochs: int, val_every: int,
                         ckpt_every: int) -> dict:
    """The classification config's schedule at ``epochs``: one warm-up
    epoch, then cosine to zero."""
    return {'train_cfg.max_epochs': epochs,
            'train_cfg.val_interval': val_every,
            'param_scheduler.1.end': epochs,
            'param_scheduler.1.T_max': epochs - 1,
            'default_hooks.checkpoint.interval': ckpt_every,
            'default_hooks.checkpoint.max_keep_ckpts': 2,
            'default_hooks.logger.interval': 200}


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


class OutOfTime(RuntimeError):
    """A run that cannot finish before ``--stop-by``."""


class StudyProgressHook(Hook):
    """Cost and curve of a run that may be resumed.

    Per finished epoch: cumulative core-seconds (process CPU time) and
    wall-seconds of the training epochs, the validation metrics, and the
    wide networks NetAug sampled. Written before the checkpoint hook saves,
    so a resumed run keeps exactly the entries up to its checkpoint.
    """
    priority = 'LOW'  # before CheckpointHook (VERY_LOW)

    def __init__(self, work_dir, deadline=None, epoch_weight=None):
        self.path = osp.join(work_dir, 'progress.json')
        self.configs_path = osp.join(work_dir, 'wide_configs.jsonl')
        self.deadline = deadline
        self.epoch_weight = epoch_weight or (lambda epoch, total: 1.0)

    def before_train(self, runner):
        done = runner.epoch  # after a resume: the checkpoint's epoch
        self._started = (time.time(), done)
        progress = dict(epochs={}, val={})
        if osp.exists(self.path):
            with open(self.path) as f:
                progress = json.load(f)
        keep = lambda d: {k: v for k, v in d.items()  # noqa: E731
                          if int(k) <= done}
        self.progress = dict(epochs=keep(progress['epochs']),
                             val=keep(progress['val']),
                             resumed_at=progress.get('resumed_at', []) +
                             ([done] if done else []))
        last = self.progress['epochs'].get(str(done), dict(cpu=0.0, wall=0.0))
        self.cpu, self.wall = last['cpu'], last['wall']
        lines = []
        if osp.exists(self.configs_path):
            with open(self.configs_path) as f:
                lines = [line for line in f
                         if json.loads(line)['epoch'] <= done]
        with open(self.configs_path, 'w') as f:
            f.writelines(lines)
        self._save()

    def before_train_epoch(self, runner):
        self._t0 = (time.process_time(), time.perf_counter())
        self.epoch_configs = []
        self.train_hits = []  # a classifier's training accuracy, per batch

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        config = getattr(runner.train_loop, 'last_wide_config', None)
        if config is not None:
            self.epoch_configs.append([int(i) for i in config])
        if outputs and 'top1_train' in outputs:
            self.train_hits.append(float(outputs['top1_train']))

    def after_train_epoch(self, runner):
        self.cpu += time.process_time() - self._t0[0]
        self.wall += time.perf_counter() - self._t0[1]
        epoch = runner.epoch + 1
        self.progress['epochs'][str(epoch)] = dict(cpu=self.cpu,
                                                   wall=self.wall)
        if self.train_hits:
            self.progress['epochs'][str(epoch)]['train_top1'] = (
                statistics.mean(self.train_hits))
        if self.epoch_configs:
            with open(self.configs_path, 'a') as f:
                f.write(json.dumps(dict(epoch=epoch,
                                        configs=self.epoch_configs)) + '\n')
        self._save()
        self._check_time(epoch, runner.max_epochs)

    def _check_time(self, epoch, max_epochs):
        """Stop a run that its own pace (wall time, validations included)
        says will not finish by the deadline: unfinished at the end of a
        session it is lost anyway, and its core can still finish a shorter
        one. Judged after a tenth of the run (start-up and a busy minute
        mislead earlier), in epochs weighted by ``epoch_weight`` (NetAug's
        epochs cost less once widths stop)."""
        if self.deadline is None:
            return
        start, first = self._started
        if epoch - first < max(3, max_epochs // 10):
            return
        weight = lambda a, b: sum(  # noqa: E731
            self.epoch_weight(e, max_epochs) for e in range(a, b))
        pace = (time.time() - start) / weight(first, epoch)
        finish = time.time() + pace * weight(epoch, max_epochs)
        if finish > self.deadline:
            raise OutOfTime(
                f'at epoch {epoch} of {max_epochs}, {pace:.1f} s an epoch: '
                f'would end {time.strftime("%H:%M", time.localtime(finish))}'
                f', after --stop-by')

    def after_val_epoch(self, runner, metrics=None):
        metrics = metrics or {}
        if any(k.startswith('accuracy/') for k in metrics):
            scores = {k.split('/')[-1]: float(v) for k, v in metrics.items()
                      if k.startswith('accuracy/')}
        else:
            # CocoMetric returns nothing when the detector found nothing: 0
            scores = dict(bbox_mAP=0.0, bbox_mAP_50=0.0)
            scores.update({k.split('/')[-1]: float(v)
                           for k, v in metrics.items()
                           if k.startswith('coco/bbox_mAP')})
        self.progress['val'][str(runner.epoch)] = scores
        self._save()

    def _save(self):
        tmp = self.path + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(self.progress, f)
        os.replace(tmp, self.path)


def forward_macs(cfg: Config, size: int, configs=None, samples=128,
                 seed=0) -> dict:
    """Forward MACs of one image through the base network and, given the
    wide networks a run sampled, their mean over ``samples`` of them."""
    import torch
    from mmengine.analysis import FlopAnalyzer

    from mmnetaug.export import build_detector, to_static
    from mmnetaug.space import is_netaug_model

    def count(model):
        model.eval()
        flops = FlopAnalyzer(model, torch.zeros(1, 3, size, size))
        flops.unsupported_ops_warnings(False)
        flops.uncalled_modules_warnings(False)
        return flops.total()

    model = build_detector(cfg)
    netaug = is_netaug_model(model)
    out = dict(base=count(to_static(model, (1, 3, size, size))
                          if netaug else model))
    if netaug and configs:
        picked = random.Random(seed).sample(configs,
                                            min(samples, len(configs)))
        cache = {}
        for config in picked:
            key = tuple(config)
            if key not in cache:
                cache[key] = count(to_static(model, (1, 3, size, size),
                                             config))
        out['wide_mean'] = statistics.mean(cache[tuple(c)] for c in picked)
        out['wide_samples'] = len(picked)
    return out


def _is_netaug(arm) -> bool:
    return arm == 'netaug' or arm in VARIANTS


def key_of(setting, arm, widen, epochs, seed) -> str:
    return f'{setting}|{arm}|w{widen}|e{epochs}|s{seed}'


def _safe(key):
    return ''.join(c if c.isalnum() or c in '.-' else '_' for c in key)


def _work_dir_of(work_dir, key):
    return osp.join(work_dir, _safe(key))


def _work_dir(args, key):
    return _work_dir_of(args.work_dir, key)


def resume_point(work_dir):
    """(resume, load_from): the checkpoint ``last_checkpoint`` names, or
    the newest one there if that is gone (killed while saving)."""
    import glob
    import re
    last = osp.join(work_dir, 'last_checkpoint')
    if not osp.exists(last):
        return False, None
    with open(last) as f:
        named = f.read().strip()
    if osp.exists(named):
        return True, named
    found = sorted(glob.glob(osp.join(work_dir, 'epoch_*.pth')),
                   key=lambda p: int(re.findall(r'\d+', osp.basename(p))[0]))
    return (True, found[-1]) if found else (False, None)


def run_config(args, run) -> tuple:
    """The config a planned run trains (its setting, width, schedule and
    arm's options, then ``--cfg-options``), and the options merged."""
    arm, setting, widen, epochs = (run['arm'], run['setting'], run['widen'],
                                   run['epochs'])
    val_every = max(1, run['val_every'])
    if setting in PAIRS:
        config = PAIRS[setting]['configs'][arm]
        options = yolox_schedule_options(epochs, val_every, args.ckpt_every)
    elif is_cls(setting):
        config = CLS_CONFIGS[arm]
        options = {**PRETRAIN_SETTINGS[setting]['options'],
                   'model.backbone.widen_factor': widen,
                   **cls_schedule_options(epochs, val_every,
                                          args.ckpt_every)}
    else:
        s = SETTINGS[setting]
        config = CONFIGS['netaug' if _is_netaug(arm) else 'baseline']
        options = {**s['options'], **model_options(widen, s['neck']),
                   **schedule_options(epochs, val_every, args.ckpt_every),
                   **VARIANTS.get(arm, (None, {}))[1]}
    options.update(dict(args.cfg_options or {}))
    cfg = Config.fromfile(osp.join(ROOT, config))
    cfg.merge_from_dict(options)
    return cfg, options


def train_run(args, run) -> dict:
    key, arm, setting, widen, epochs, seed = (
        run['key'], run['arm'], run['setting'], run['widen'], run['epochs'],
        run['seed'])
    cfg, options = run_config(args, run)
    config = osp.relpath(cfg.filename, ROOT)  # as the results record it
    work_dir = _work_dir(args, key)
    cfg.work_dir = work_dir
    cfg.randomness = dict(seed=seed)
    cfg.log_level = 'WARNING'
    cfg.resume, cfg.load_from = resume_point(work_dir)
    runner = Runner.from_cfg(cfg)
    progress = StudyProgressHook(
        work_dir, getattr(args, 'deadline', None),
        netaug_epoch_weight if _is_netaug(arm) else None)
    runner.register_hook(progress)
    runner.train()
    p = progress.progress
    last = p['epochs'][str(epochs)]
    curve = {int(k): v for k, v in p['val'].items()}
    final = curve.get(epochs, {})
    configs = []
    if osp.exists(progress.configs_path):
        with open(progress.configs_path) as f:
            for line in f:
                configs += json.loads(line)['configs']
    if is_cls(setting):
        size = PRETRAIN_SETTINGS[setting]['size']
        images = epochs * PRETRAIN_SETTINGS[setting]['images']
    else:
        size = cfg.get('input_size', cfg.get('img_scale', (96, 96)))[0]
        dataset = cfg.train_dataloader.dataset
        while 'dataset' in dataset:  # YOLOX: MultiImageMixDataset
            dataset = dataset.dataset
        images = epochs * dataset.num_images
    macs = forward_macs(cfg, size, configs)
    per_image = macs['base'] + macs.get('wide_mean', 0)
    if is_cls(setting):
        extra = dict(
            top1=final.get('top1', 0.0),
            curve={str(k): v.get('top1', 0.0)
                   for k, v in sorted(curve.items())},
            train_top1={k: v['train_top1']
                        for k, v in p['epochs'].items()
                        if 'train_top1' in v})
    else:
        extra = dict(
            bbox_mAP=final.get('bbox_mAP', 0.0),
            bbox_mAP_50=final.get('bbox_mAP_50', 0.0),
            curve={str(k): v.get('bbox_mAP', 0.0) for k, v in
                   sorted(curve.items())})
    return dict(
        key=key, arm=arm, setting=setting, widen=widen, epochs=epochs,
        seed=seed, **extra, core_seconds=last['cpu'], wall_seconds=last['wall'],
        resumed_at=p['resumed_at'], images=images,
        macs_base=macs['base'], macs_wide_mean=macs.get('wide_mean'),
        wide_samples=macs.get('wide_samples', 0),
        train_macs=3 * images * per_image, config=config,
        options={k: v for k, v in options.items()},
        env=run_environment())


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
                wide[0]['bbox_mAP'] - tiny[0]['bbox_mAP'] >= 0.04:
            add('wide', s['wide'], 4)
    return runs


def setting_spec(setting) -> dict:
    """A ladder setting's, a detector pair's or a pretraining setting's
    entry, by name."""
    for table in (SETTINGS, PAIRS, PRETRAIN_SETTINGS):
        if setting in table:
            return table[setting]
    raise KeyError(setting)


def score(run) -> float:
    """A finished run's result: top-1 (%) or bbox mAP."""
    return run['top1'] if 'top1' in run else run['bbox_mAP']


def pretrain_pilot_plan(args, results) -> list:
    """Per pretraining setting: the tiny baseline at S and 2S (converged
    at S when 2S gains under 0.3 points) and the wide one at S (capacity:
    ahead by at least 1 point), validated every S/4 epochs."""
    runs = []
    for setting in args.settings:
        s = PRETRAIN_SETTINGS[setting]
        unit = s['unit']
        for arm, widen, mult in (('baseline', s['widen'], 2),
                                 ('wide', s['wide'], 1),
                                 ('baseline', s['widen'], 1)):
            runs.append(dict(setting=setting, arm=arm, widen=widen,
                             epochs=mult * unit, seed=0,
                             val_every=max(1, unit // 4), phase=0))
    return runs


def pretrain_pilot_report(results, running=()) -> str:
    lines = ['| setting | run | epochs | top-1 (%) | curve (epoch: top-1) | '
             'train top-1 at the end | core-s / epoch |',
             '| --- ' * 7 + '|']
    verdicts = []
    for setting, s in PRETRAIN_SETTINGS.items():
        runs = sorted((r for r in results['runs'].values()
                       if r['setting'] == setting),
                      key=lambda r: (r['epochs'], r['widen']))
        for run in runs:
            curve = ', '.join(f'{e}: {v:.2f}' for e, v in run['curve'].items())
            train = run['train_top1'].get(str(run['epochs']), float('nan'))
            lines.append(
                f'| {setting} | {ARM_NAMES[run["arm"]]} x{run["widen"]} | '
                f'{run["epochs"]} | {run["top1"]:.2f} | {curve} | '
                f'{train:.2f} | {run["core_seconds"] / run["epochs"]:.0f} |')
        unit = s['unit']
        tiny = {m: find(results, setting, 'baseline', s['widen'],
                        m * unit).get(0) for m in (1, 2)}
        wide = find(results, setting, 'wide', s['wide'], unit).get(0)
        parts = []
        if tiny[1] and tiny[2]:
            gain = tiny[2]['top1'] - tiny[1]['top1']
            parts.append(f'tiny S->2S {gain:+.2f} points '
                         f'({"converged" if gain < 0.3 else "not converged"}'
                         ' at S)')
        if tiny[1] and wide:
            gap = wide['top1'] - tiny[1]['top1']
            parts.append(f'wide - tiny at S {gap:+.2f} points '
                         f'({"capacity-limited" if gap >= 1.0 else "not"})')
        if parts:
            verdicts.append(f'- {setting} (S = {unit} epochs): ' +
                            '; '.join(parts))
    return '\n'.join(lines + list(running) + [''] + verdicts)


def cost_ratio(results, setting, unit) -> float:
    """NetAug's core-seconds over the baseline's at S, fixed once from the
    first seeds with both (so every seed gets the same kS)."""
    fixed = results.setdefault('cost_ratio', {})
    if setting in fixed:
        return fixed[setting]
    s = setting_spec(setting)
    na = find(results, setting, 'netaug', s['widen'], unit)
    ba = find(results, setting, 'baseline', s['widen'], unit)
    seeds = [k for k in na if k in ba]
    if not seeds:
        return None
    fixed[setting] = (statistics.mean(na[k]['core_seconds'] for k in seeds) /
                      statistics.mean(ba[k]['core_seconds'] for k in seeds))
    return fixed[setting]


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
    k = cost_ratio(results, setting, unit)
    if k is not None:
        add('baseline', tiny, k, three)
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
    k = cost_ratio(results, YOLOX_PAIR, unit)
    if k is not None:
        runs += [run('baseline', round(k * unit), seed, 1)
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


PLANS = dict(pilot=pilot_plan, ladder=ladder_plan, yolox=yolox_plan,
             variants=variants_plan, pretrain_pilot=pretrain_pilot_plan)


# ---- scheduling -----------------------------------------------------------
# core-seconds an epoch (one thread) of the pilot's finished runs; used for
# an arm until this study has finished runs of its own to estimate from
CORE_S_PER_EPOCH = dict(baseline=5.5, wide=10.0, netaug=14.8)
VAL_CORE_SECONDS = 20.0  # one validation pass over the 1000 images


# NetAug's core-seconds an epoch once widths stop (half way), relative to
# before: 9.9 / 15.5 and 16.3 / 25.5 on two machines
NETAUG_WIDTHS_OFF_COST = 0.64


def netaug_epoch_weight(epoch, total) -> float:
    return 1.0 if epoch < total / 2 else NETAUG_WIDTHS_OFF_COST


def estimate_core_seconds(results, run) -> float:
    """What a run will cost: the core-seconds an epoch of the finished runs
    with its setting, arm and width made in this environment (not the
    pilot's, from a faster machine; else ``CORE_S_PER_EPOCH``) times its
    epochs, plus its validations."""
    here = run_environment()

    def measured(arm):
        return [r for r in results['runs'].values()
                if (r['setting'], r['arm'], r['widen']) ==
                (run['setting'], arm, run['widen'])
                and not environment_mismatch([r, dict(env=here)])]

    # a NetAug variant costs about what NetAug does until it has runs
    arm = 'netaug' if run['arm'] in VARIANTS else run['arm']
    same = measured(run['arm']) or measured(arm)
    default = setting_spec(run['setting']).get('cost', CORE_S_PER_EPOCH)
    per_epoch = (statistics.mean(r['core_seconds'] / r['epochs']
                                 for r in same)
                 if same else default[arm])
    vals = run['epochs'] // max(1, run.get('val_every', run['epochs']))
    return run['epochs'] * per_epoch + VAL_CORE_SECONDS * vals


def schedule(todo, results, work_dir, deadline=None, wall_factor=1.15,
             now=None) -> list:
    """The runs to start, in order, that can finish by ``deadline``.

    A run with a checkpoint first (it is partly paid for), then seed by
    seed (a seed's paired set completes before the next starts), the runs
    that fix k first, then the longest (they pack the time left best).
    Wall time is estimated as core-seconds x ``wall_factor`` (other work on
    the machine, validation); a run with a checkpoint is not discounted.
    """
    now = time.time() if now is None else now
    fits = [r for r in todo if deadline is None or now + wall_factor *
            estimate_core_seconds(results, r) <= deadline]
    return sorted(fits, key=lambda r: (
        not osp.exists(osp.join(_work_dir_of(work_dir, r['key']),
                                'last_checkpoint')),
        r['seed'], r.get('phase', 1), -estimate_core_seconds(results, r)))


def parse_stop_by(text):
    """``--stop-by HH:MM`` (local time, today) as epoch seconds."""
    if text is None:
        return None
    try:
        clock = time.strptime(text, '%H:%M')
    except ValueError:
        raise SystemExit(f'--stop-by {text!r}: give a local time as HH:MM, '
                         'e.g. --stop-by 16:50') from None
    today = time.localtime()
    deadline = time.mktime(today[:3] + (clock.tm_hour, clock.tm_min, 0) +
                           today[6:])
    if deadline <= time.time():
        raise SystemExit(f'--stop-by {text}: that time has passed today; '
                         'give a later one')
    return deadline


# ---- reports --------------------------------------------------------------
def find(results, setting, arm, widen, epochs):
    return {r['seed']: r for r in results['runs'].values()
            if r['setting'] == setting and r['arm'] == arm
            and r['widen'] == widen and r['epochs'] == epochs}


def _pm(ms, sign=''):
    mean, std = ms
    if mean != mean:
        return '-'
    if std != std:
        return f'{mean:{sign}.3f}'
    return f'{mean:{sign}.3f} +/- {std:.3f}'


def unfinished(work_dir, runs) -> list:
    """Lines for planned runs not finished yet: epochs done and the curve
    so far, from their progress files."""
    lines = []
    for run in runs:
        path = osp.join(work_dir, _safe(run['key']), 'progress.json')
        if not osp.exists(path):
            continue
        with open(path) as f:
            p = json.load(f)
        done = max(map(int, p['epochs']), default=0)
        if not done:
            continue
        cpu = p['epochs'][str(done)]['cpu']
        curve = ', '.join(f'{e}: {v["bbox_mAP"]:.3f}'
                          for e, v in sorted(p['val'].items(),
                                             key=lambda x: int(x[0])))
        lines.append(f'| {run["setting"]} | {ARM_NAMES[run["arm"]]} '
                     f'x{run["widen"]} (running: {done} of) | '
                     f'{run["epochs"]} | - | {curve} | {cpu / done:.1f} |')
    return lines


def pilot_report(results, running=()) -> str:
    lines = ['| setting | run | epochs | mAP | curve (epoch: mAP) | '
             'core-s / epoch |', '| --- ' * 6 + '|']
    verdicts = []
    settings = sorted({r['setting'] for r in results['runs'].values()},
                      key=list(SETTINGS).index)
    for setting in settings:
        s = SETTINGS[setting]
        for run in sorted((r for r in results['runs'].values()
                           if r['setting'] == setting),
                          key=lambda r: (r['epochs'], r['widen'])):
            curve = ', '.join(f'{e}: {m:.3f}' for e, m in run['curve'].items())
            lines.append(
                f'| {setting} | {ARM_NAMES[run["arm"]]} x{run["widen"]} | '
                f'{run["epochs"]} | {run["bbox_mAP"]:.3f} | {curve} | '
                f'{run["core_seconds"] / run["epochs"]:.1f} |')
        unit = s['unit']
        tiny = {m: find(results, setting, 'baseline', s['widen'], m * unit)
                .get(0) for m in (2, 4)}
        wide = find(results, setting, 'wide', s['wide'], 4 * unit).get(0)
        wide2 = find(results, setting, 'wide', s['wide'], 2 * unit).get(0)
        parts = []
        if tiny[2] and wide2:
            parts.append(f'wide - tiny at 2S '
                         f'{wide2["bbox_mAP"] - tiny[2]["bbox_mAP"]:+.3f}')
        if tiny[2] and tiny[4]:
            check_pairable([tiny[2], tiny[4]], setting, results.get(
                'allow_mixed_versions', False))
            parts.append(f'tiny 2S->4S gain '
                         f'{tiny[4]["bbox_mAP"] - tiny[2]["bbox_mAP"]:+.3f}')
        if tiny[4] and wide:
            gap = wide['bbox_mAP'] - tiny[4]['bbox_mAP']
            parts.append(f'wide - tiny at 4S {gap:+.3f} '
                         f'({"capacity-limited" if gap >= 0.05 else "not"})')
        if tiny[2]:
            t = tiny[2]['core_seconds'] / tiny[2]['epochs']
            parts.append(f'ladder ~{LADDER_COST_UNITS * unit * t / 3600:.0f} '
                         f'core-hours (S = {unit} epochs, {t:.1f} core-s an '
                         'epoch)')
        if parts:
            verdicts.append(f'- {setting}: ' + '; '.join(parts))
    return '\n'.join(lines + list(running) + [''] + verdicts)


def _on_ladder(results, setting, run) -> bool:
    """Whether ``run`` of ``setting`` has one of the ladder's schedules
    (S, 2S, kS, 4S) rather than the pilot's long ones."""
    unit = setting_spec(setting)['ladder_unit']
    k = results.get('cost_ratio', {}).get(setting)
    epochs = {unit, 2 * unit, 4 * unit} | ({round(k * unit)} if k else set())
    return run['epochs'] in epochs


def ladder_runs_only(results, setting) -> dict:
    """``results`` without the setting's runs that are not on the ladder
    (the pilot's long schedules, from another machine and environment)."""
    return dict(results, runs={
        key: r for key, r in results['runs'].items()
        if r['setting'] != setting or _on_ladder(results, setting, r)})


def pilot_runs_only(results, setting) -> dict:
    """``results`` without the setting's ladder runs, for the pilot plot."""
    return dict(results, runs={
        key: r for key, r in results['runs'].items()
        if r['setting'] != setting or not _on_ladder(results, setting, r)})


def ladder_report(results, setting) -> str:
    s = setting_spec(setting)
    unit, tiny = s['ladder_unit'], s['widen']
    results = ladder_runs_only(results, setting)
    allow = results.get('allow_mixed_versions', False)
    rows = ['| arm | epochs | seeds | mAP | core-hours | training MACs |',
            '| --- ' * 6 + '|']
    groups = {}
    for r in results['runs'].values():
        if r['setting'] == setting and r['arm'] not in VARIANTS:
            groups.setdefault((r['arm'], r['widen'], r['epochs']), {})[
                r['seed']] = r
    for (arm, widen, epochs), runs in sorted(groups.items(),
                                             key=lambda x: (x[0][2], x[0])):
        check_pairable(runs.values(), f'{arm} x{widen} {epochs} epochs',
                       allow)
        hours = statistics.mean(r['core_seconds']
                                for r in runs.values()) / 3600
        macs = statistics.mean(r['train_macs'] for r in runs.values())
        rows.append(
            f'| {ARM_NAMES[arm]} x{widen} | {epochs} ({epochs / unit:.2f}S)'
            f' | {sorted(runs)} | '
            f'{_pm(mean_std(r["bbox_mAP"] for r in runs.values()))} | '
            f'{hours:.2f} | {macs:.3g} |')
    lines = rows + ['']
    k = results.get('cost_ratio', {}).get(setting)
    net, base = ('netaug', tiny), ('baseline', tiny)
    comparisons = [('(a) NetAug S - baseline S', (*net, unit),
                    (*base, unit))]
    if k:
        comparisons.append((f'(b) NetAug S - baseline kS (k={k:.2f})',
                            (*net, unit), (*base, round(k * unit))))
    comparisons.append(('(c) NetAug S - baseline 4S', (*net, unit),
                        (*base, 4 * unit)))
    for mult in (2, 4):
        comparisons.append((f'(d) NetAug {mult}S - baseline {mult}S',
                            (*net, mult * unit), (*base, mult * unit)))
    # is the tiny detector short of width? (the regime NetAug is for)
    if 'wide' in s:
        for mult in (1, 4):
            comparisons.append((
                f'capacity: wide x{s["wide"]} {mult}S - baseline {mult}S',
                ('wide', s['wide'], mult * unit), (*base, mult * unit)))
    for name, a_key, b_key in comparisons:
        a, b = groups.get(a_key, {}), groups.get(b_key, {})
        seeds = sorted(set(a) & set(b))
        if not seeds:
            continue
        check_pairable([a[k] for k in seeds] + [b[k] for k in seeds], name,
                       allow)
        d = [a[k]['bbox_mAP'] - b[k]['bbox_mAP'] for k in seeds]
        lines.append(f'- {name}: {_pm(mean_std(d), "+")} '
                     f'({ARM_NAMES[a_key[0]]} wins '
                     f'{sum(x > 0 for x in d)}/{len(d)})')
    return '\n'.join(lines)


def variants_report(results, setting) -> str:
    """Each NetAug variant at S against the baseline twin and plain NetAug
    at S, paired over the seeds both have."""
    s = SETTINGS[setting]
    unit, tiny = s['ladder_unit'], s['widen']
    allow = results.get('allow_mixed_versions', False)
    base = find(results, setting, 'baseline', tiny, unit)
    plain = find(results, setting, 'netaug', tiny, unit)
    lines = [f'| NetAug at S ({unit} epochs) | seeds | mAP | core-hours | '
             '- baseline S (NetAug wins) | - NetAug S (variant wins) |',
             '| --- ' * 6 + '|']
    for arm in ('netaug', *VARIANTS):
        runs = find(results, setting, arm, tiny, unit)
        if not runs:
            continue
        check_pairable(runs.values(), ARM_NAMES[arm], allow)
        cells = []
        for other in (base, plain):
            seeds = sorted(set(runs) & set(other))
            if (arm == 'netaug' and other is plain) or not seeds:
                cells.append('-')
                continue
            check_pairable([runs[k] for k in seeds] +
                           [other[k] for k in seeds], ARM_NAMES[arm], allow)
            d = [runs[k]['bbox_mAP'] - other[k]['bbox_mAP'] for k in seeds]
            cells.append(f'{_pm(mean_std(d), "+")} '
                         f'({sum(x > 0 for x in d)}/{len(d)})')
        hours = statistics.mean(r['core_seconds']
                                for r in runs.values()) / 3600
        lines.append(
            f'| {ARM_NAMES[arm]} | {sorted(runs)} | '
            f'{_pm(mean_std(r["bbox_mAP"] for r in runs.values()))} | '
            f'{hours:.2f} | {cells[0]} | {cells[1]} |')
    return '\n'.join(lines)


def check_worker_environment(args) -> None:
    """Refuse to add ladder runs that could not be paired with the
    finished ones (other versions or threads), before paying for them."""
    if not osp.exists(args.out):
        return
    with open(args.out) as f:
        results = json.load(f)
    results.setdefault('runs', {})
    study = getattr(args, 'study', 'ladder')
    plans = [PLANS[study]] + ([ladder_plan] if study == 'variants' else [])
    planned = {key_of(r['setting'], r['arm'], r['widen'], r['epochs'],
                      r['seed'])
               for plan in plans for r in plan(args, results)}
    done = [results['runs'][k] for k in sorted(planned & set(results['runs']))]
    if done:
        check_pairable(
            done + [dict(env=run_environment())],
            'this worker and the finished ladder runs (install with '
            'PIP_CONSTRAINT=$PWD/benchmarks/ladder_constraints.txt bash '
            'tools/install_deps.sh, one thread: OMP_NUM_THREADS=1)',
            args.allow_mixed_versions)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--study', choices=tuple(PLANS),
                        default='pilot')
    parser.add_argument('--settings', nargs='+',
                        choices=tuple(SETTINGS) + tuple(PRETRAIN_SETTINGS),
                        help='pilot: settings to compare; ladder: the one '
                        'chosen')
    parser.add_argument('--seeds', type=int, nargs='+',
                        default=[0, 1, 2, 3, 4])
    parser.add_argument('--work-dir', default='work_dirs/ladder',
                        help='run folders (checkpoints, progress); for a '
                        'study across sessions put it outside a work tree '
                        'that is cloned anew, e.g. /work/ladder_runs')
    parser.add_argument('--out', help='results JSON, shared by both studies '
                        '(pilot runs that the ladder needs are not run '
                        'again; default: docs/results/ladder.json)')
    parser.add_argument('--ckpt-every', type=int, default=10,
                        help='epochs between checkpoints (resume points)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='applied to every run')
    parser.add_argument('--allow-mixed-versions', action='store_true',
                        help='pair runs made with different versions')
    parser.add_argument('--png-dir', help='also write the plots here')
    parser.add_argument('--unit', type=int,
                        help="override every setting's S (smoke runs)")
    parser.add_argument('--stop-by', metavar='HH:MM',
                        help='start only runs that can finish by then '
                        '(local time), and stop one whose pace says it '
                        'will not: an unfinished run is lost with a '
                        "session's machine")
    parser.add_argument('--wall-factor', type=float, default=1.15,
                        help='wall seconds per estimated core-second, for '
                        '--stop-by (other work on the machine, start-up)')
    parser.add_argument('--report-only', action='store_true')
    args = parser.parse_args()
    pretrain = args.study.startswith('pretrain')
    if not args.settings:
        args.settings = list(PRETRAIN_SETTINGS if pretrain else SETTINGS)[:1]
    if args.unit:
        for s in SETTINGS.values():
            s['unit'] = s['ladder_unit'] = args.unit
        for s in PAIRS.values():
            s['ladder_unit'] = args.unit
        for s in PRETRAIN_SETTINGS.values():
            s['unit'] = args.unit
    args.out = osp.abspath(args.out or osp.join(
        ROOT, 'docs', 'results',
        'pretrain.json' if pretrain else 'ladder.json'))
    args.work_dir = osp.abspath(args.work_dir)
    os.chdir(ROOT)
    plan = PLANS[args.study]
    args.deadline = parse_stop_by(args.stop_by)
    if 'pilot' not in args.study and not args.report_only:
        check_worker_environment(args)
    skipped = set()  # stopped by OutOfTime: not tried again by this worker
    while not args.report_only:
        with locked_results(args.out) as results:
            claimed = results.setdefault('claimed', {})
            for key, claim in list(claimed.items()):
                if not claim_alive(claim):
                    del claimed[key]
            todo = []
            for run in plan(args, results):
                run['key'] = key_of(run['setting'], run['arm'], run['widen'],
                                    run['epochs'], run['seed'])
                if run['key'] not in results['runs'] and \
                        run['key'] not in claimed and \
                        run['key'] not in skipped:
                    todo.append(run)
            order = schedule(todo, results, args.work_dir, args.deadline,
                             args.wall_factor)
            if order:
                claimed[order[0]['key']] = [os.getpid(), _boot_id()]
            busy = bool(claimed)
        if not order:
            if todo and not busy:
                print(f'[ladder] {len(todo)} runs left, none can finish by '
                      f'--stop-by {args.stop_by}', flush=True)
            if not busy:
                break
            time.sleep(30)  # the others' results may plan new runs (kS)
            continue
        run = order[0]
        estimate = estimate_core_seconds(results, run)
        print(f'[ladder] start {run["key"]} (~{estimate / 60:.0f} core-min)',
              flush=True)
        try:
            result = train_run(args, run)
        except OutOfTime as e:
            print(f'[ladder] stopped {run["key"]}: {e}', flush=True)
            skipped.add(run['key'])
            with locked_results(args.out) as results:
                results['claimed'].pop(run['key'], None)
            continue
        with locked_results(args.out) as results:
            results['runs'][run['key']] = result
            results['claimed'].pop(run['key'], None)
        print(f'[ladder] {run["key"]}: {score(result):.3f} '
              f'({result["core_seconds"] / 60:.1f} core-min)', flush=True)
    with open(args.out) as f:
        results = json.load(f)
    results['allow_mixed_versions'] = args.allow_mixed_versions
    if args.study == 'pretrain_pilot':
        print(pretrain_pilot_report(results))
    elif args.study == 'pilot':
        todo = [dict(r, key=key_of(r['setting'], r['arm'], r['widen'],
                                   r['epochs'], r['seed']))
                for r in pilot_plan(args, results)]
        print(pilot_report(results, unfinished(
            args.work_dir, [r for r in todo
                            if r['key'] not in results['runs']])))
    elif args.study == 'variants':
        print(variants_report(results, args.settings[0]))
    else:
        print(ladder_report(results, YOLOX_PAIR if args.study == 'yolox'
                            else args.settings[0]))
    if args.png_dir and not pretrain:
        from ladder_plots import plot_ladder, plot_pilot
        written = [plot_pilot(pilot_runs_only(results, args.settings[0]),
                              osp.join(args.png_dir, 'ladder_pilot.png'),
                              list(SETTINGS))]
        ladder_pngs = dict(ladder=(args.settings[0], 'ladder.png'),
                           yolox=(YOLOX_PAIR, 'ladder_yolox.png'))
        if args.study in ladder_pngs:
            setting, png = ladder_pngs[args.study]
            written.append(plot_ladder(
                ladder_runs_only(results, setting),
                osp.join(args.png_dir, png), setting))
        print('\n'.join(p for p in written if p))


if __name__ == '__main__':
    main()
