"""One worker for every study: it claims the next planned run in the
shared results file, trains it (resuming from its checkpoint), and records
its result, cost and versions.

Cost is measured two ways: core-seconds (process CPU time of the training
epochs, one thread per worker; validation excluded) and training MACs
(images x 3 x the forward MACs of the networks that ran: the base pass,
plus for NetAug the mean over the run's own sampled wide networks, plus a
KD teacher's forward pass).

Runs save a checkpoint every ``--ckpt-every`` epochs and resume from it
(mmengine's resume) within a machine's life; each finished run is written
to ``--out`` at once, and workers (``OMP_NUM_THREADS=1``, any number) share
the file under a lock. ``--stop-by HH:MM`` starts only runs that can finish
in time (and stops one that falls behind). Every run records its versions;
reports refuse to pair runs of different versions unless
``--allow-mixed-versions``.
"""
import json
import os
import os.path as osp
import random
import shutil
import statistics
import time

import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

from mmnetaug.utils.run_env import (check_pairable, environment_mismatch,
                                    run_environment)
from . import detection, finetune, pretrain
from .common import (ROOT, boot_id, claim_alive, key_of, locked_results,
                     score, work_dir_of)

TASKS = (detection, pretrain, finetune)


def task_of(setting):
    """The study module (detection or pretraining) a setting belongs to."""
    for task in TASKS:
        if task.owns(setting):
            return task
    raise KeyError(f'unknown setting {setting!r}')


def setting_spec(setting) -> dict:
    """A setting's entry, whichever study declares it."""
    for table in (detection.SETTINGS, detection.PAIRS,
                  pretrain.PRETRAIN_SETTINGS, finetune.FINETUNE_SETTINGS):
        if setting in table:
            return table[setting]
    raise KeyError(setting)


def is_netaug(arm) -> bool:
    return any(task.is_netaug(arm) for task in TASKS)


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
    config, options = task_of(run['setting']).run_options(args, run)
    options.update(dict(args.cfg_options or {}))
    cfg = Config.fromfile(osp.join(ROOT, config))
    cfg.merge_from_dict(options)
    return cfg, options


def teacher_macs(cfg: Config, size: int) -> int:
    """Forward MACs of a KD teacher (0 without one)."""
    distill = cfg.model.get('distill')
    if not distill:
        return 0
    return forward_macs(Config.fromfile(distill['config']), size)['base']


def keep_weights(cfg: Config, work_dir: str, key: str, kept_dir) -> None:
    """Copy a finished run's config and weights (state dict only) where
    later studies read them (``pretrain.kept_files``)."""
    from mmengine.runner.checkpoint import _load_checkpoint
    config, weights = pretrain.kept_files(kept_dir, key)
    os.makedirs(osp.dirname(weights), exist_ok=True)
    epochs = cfg.train_cfg.max_epochs
    ckpt = _load_checkpoint(osp.join(work_dir, f'epoch_{epochs}.pth'),
                            map_location='cpu')
    torch.save(dict(state_dict=ckpt['state_dict'],
                    meta=dict(run=key, epoch=epochs)),
               weights + '.tmp')
    os.replace(weights + '.tmp', weights)
    shutil.copyfile(osp.join(work_dir, osp.basename(cfg.filename)), config)
    # a NetAug run's base network, as its hook exported it: what a
    # baseline detector starts from
    export = osp.join(work_dir, 'export', osp.basename(cfg.filename))
    if osp.exists(export[:-len('.py')] + '.pth'):
        shutil.copyfile(export[:-len('.py')] + '.pth',
                        weights[:-len('.pth')] + '_base.pth')


def train_run(args, run) -> dict:
    key, arm, setting, widen, epochs, seed = (
        run['key'], run['arm'], run['setting'], run['widen'], run['epochs'],
        run['seed'])
    task = task_of(setting)
    cfg, options = run_config(args, run)
    config = osp.relpath(cfg.filename, ROOT)  # as the results record it
    work_dir = work_dir_of(args.work_dir, key)
    cfg.work_dir = work_dir
    cfg.randomness = dict(seed=seed)
    cfg.log_level = 'WARNING'
    cfg.resume, cfg.load_from = resume_point(work_dir)
    runner = Runner.from_cfg(cfg)
    progress = StudyProgressHook(
        work_dir, getattr(args, 'deadline', None),
        netaug_epoch_weight if is_netaug(arm) else None)
    runner.register_hook(progress)
    runner.train()
    p = progress.progress
    last = p['epochs'][str(epochs)]
    curve = {int(k): v for k, v in p['val'].items()}
    configs = []
    if osp.exists(progress.configs_path):
        with open(progress.configs_path) as f:
            for line in f:
                configs += json.loads(line)['configs']
    size = task.input_size(setting, cfg)
    images = epochs * task.images_per_epoch(setting, cfg)
    macs = forward_macs(cfg, size, configs)
    per_image = macs['base'] + macs.get('wide_mean', 0)
    kd = teacher_macs(cfg, size)
    if run.get('keep'):
        keep_weights(cfg, work_dir, key, getattr(args, 'kept_dir', None))
    return dict(
        key=key, arm=arm, setting=setting, widen=widen, epochs=epochs,
        seed=seed, **task.scores(curve.get(epochs, {}), curve, p),
        core_seconds=last['cpu'], wall_seconds=last['wall'],
        resumed_at=p['resumed_at'], images=images,
        macs_base=macs['base'], macs_wide_mean=macs.get('wide_mean'),
        wide_samples=macs.get('wide_samples', 0),
        **(dict(macs_teacher=kd) if kd else {}),
        train_macs=3 * images * per_image + images * kd, config=config,
        options={k: v for k, v in options.items()},
        env=run_environment())


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
    arm = 'netaug' if run['arm'] in detection.VARIANTS else run['arm']
    same = measured(run['arm']) or measured(arm)
    default = {**CORE_S_PER_EPOCH, **setting_spec(run['setting']).get(
        'cost', {})}
    per_epoch = (statistics.mean(r['core_seconds'] / r['epochs']
                                 for r in same)
                 if same else default[arm])
    vals = run['epochs'] // max(1, run.get('val_every', run['epochs']))
    return run['epochs'] * per_epoch + VAL_CORE_SECONDS * vals


def schedule(todo, results, work_dir, deadline=None, wall_factor=1.15,
             now=None) -> list:
    """The runs to start, in order, that can finish by ``deadline``.

    A run with a checkpoint first (it is partly paid for), then the runs
    of the lowest seed left, and only those: a paired set completes before
    a later seed starts, even when its runs do not fit the time left. Among
    them the runs that fix k first, then the longest (they pack the time
    left best).
    Wall time is estimated as core-seconds x ``wall_factor`` (other work on
    the machine, validation); a run with a checkpoint is not discounted.
    """
    now = time.time() if now is None else now

    def started(r):
        return osp.exists(osp.join(work_dir_of(work_dir, r['key']),
                                   'last_checkpoint'))

    # a paired set first: no run of a later seed while the lowest seed
    # left has runs to start (unless a later one is partly paid for)
    first = min((r['seed'] for r in todo), default=None)
    todo = [r for r in todo if r['seed'] == first or started(r)]
    fits = [r for r in todo if deadline is None or now + wall_factor *
            estimate_core_seconds(results, r) <= deadline]
    return sorted(fits, key=lambda r: (
        not started(r), r['seed'], r.get('phase', 1),
        -estimate_core_seconds(results, r)))


def parse_stop_by(text, now=None):
    """``--stop-by HH:MM`` (local time) as epoch seconds: its next
    occurrence, today or, once passed, tomorrow (a session that runs past
    midnight)."""
    if text is None:
        return None
    try:
        clock = time.strptime(text, '%H:%M')
    except ValueError:
        raise SystemExit(f'--stop-by {text!r}: give a local time as HH:MM, '
                         'e.g. --stop-by 16:50') from None
    now = time.time() if now is None else now
    today = time.localtime(now)
    deadline = time.mktime(today[:3] + (clock.tm_hour, clock.tm_min, 0) +
                           (0, 0, -1))
    if deadline <= now:
        tomorrow = time.localtime(now + 24 * 3600)
        deadline = time.mktime(tomorrow[:3] +
                               (clock.tm_hour, clock.tm_min, 0) + (0, 0, -1))
    return deadline


def check_worker_environment(args, plans) -> None:
    """Refuse to add runs that could not be paired with the finished ones
    of the same plans (other versions or threads), before paying for
    them."""
    if not osp.exists(args.out):
        return
    with open(args.out) as f:
        results = json.load(f)
    results.setdefault('runs', {})
    planned = {key_of(r['setting'], r['arm'], r['widen'], r['epochs'],
                      r['seed'])
               for plan in plans for r in plan(args, results)}
    done = [results['runs'][k] for k in sorted(planned & set(results['runs']))]
    if done:
        check_pairable(
            done + [dict(env=run_environment())],
            'this worker and the finished runs (install with '
            'PIP_CONSTRAINT=$PWD/benchmarks/ladder_constraints.txt bash '
            'tools/install_deps.sh, one thread: OMP_NUM_THREADS=1)',
            args.allow_mixed_versions)


def keep_finished(args, plan) -> None:
    """Keep the weights of finished runs the plan keeps that lack them: a
    pilot's run that a study, with S chosen, shares (the pilot's 2S is
    the study's S). Copied from the run's folder, which must still hold
    its last checkpoint."""
    with locked_results(args.out) as results:
        runs = [dict(r, key=key_of(r['setting'], r['arm'], r['widen'],
                                   r['epochs'], r['seed']))
                for r in plan(args, results) if r.get('keep')]
        runs = [r for r in runs if r['key'] in results['runs']]
    kept_dir = getattr(args, 'kept_dir', None)
    for run in runs:
        _, weights = pretrain.kept_files(kept_dir, run['key'])
        if osp.exists(weights):
            continue
        work_dir = work_dir_of(args.work_dir, run['key'])
        last = osp.join(work_dir, f'epoch_{run["epochs"]}.pth')
        if not osp.exists(last):
            raise SystemExit(
                f'{run["key"]} is finished in {args.out} but its weights '
                f'are not kept ({weights}) and {last} is gone: delete its '
                'record from the results file to train it again')
        cfg, _ = run_config(args, run)
        keep_weights(cfg, work_dir, run['key'], kept_dir)
        print(f'[study] kept {run["key"]} from {last}', flush=True)


def work(args, plan) -> None:
    """Claim, train and record planned runs until none is left (or none
    can finish by ``--stop-by``); other workers may share the file."""
    keep_finished(args, plan)
    skipped = set()  # stopped by OutOfTime: not tried again by this worker
    while True:
        with locked_results(args.out) as results:
            claimed = results.setdefault('claimed', {})
            for key, claim in list(claimed.items()):
                if not claim_alive(claim):
                    del claimed[key]
            todo, waiting = [], []
            for run in plan(args, results):
                run['key'] = key_of(run['setting'], run['arm'], run['widen'],
                                    run['epochs'], run['seed'])
                if run['key'] in results['runs'] or run['key'] in claimed \
                        or run['key'] in skipped:
                    continue
                if run.get('needs') and not osp.exists(run['needs']):
                    waiting.append(run)  # its pretraining has not finished
                else:
                    todo.append(run)
            order = schedule(todo, results, args.work_dir, args.deadline,
                             args.wall_factor)
            if order:
                claimed[order[0]['key']] = [os.getpid(), boot_id()]
            busy = bool(claimed)
        if not order:
            if todo and not busy:
                print(f'[study] {len(todo)} runs left, none can finish by '
                      f'--stop-by {args.stop_by}', flush=True)
            if waiting and not busy:
                print(f'[study] {len(waiting)} runs wait for kept weights, '
                      f'e.g. {waiting[0]["needs"]}', flush=True)
            if not busy:
                return
            time.sleep(30)  # the others' results may plan new runs (kS)
            continue
        run = order[0]
        estimate = estimate_core_seconds(results, run)
        print(f'[study] start {run["key"]} (~{estimate / 60:.0f} core-min)',
              flush=True)
        try:
            result = train_run(args, run)
        except OutOfTime as e:
            print(f'[study] stopped {run["key"]}: {e}', flush=True)
            skipped.add(run['key'])
            with locked_results(args.out) as results:
                results['claimed'].pop(run['key'], None)
            continue
        with locked_results(args.out) as results:
            results['runs'][run['key']] = result
            results['claimed'].pop(run['key'], None)
        print(f'[study] {run["key"]}: {score(result):.3f} '
              f'({result["core_seconds"] / 60:.1f} core-min)', flush=True)
