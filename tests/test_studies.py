"""The where-NetAug-pays studies (benchmarks/studies/): what they plan,
how a run resumes its cost and curve, and that runs of different versions
are not paired."""
import argparse
import importlib.util
import json
import os
import os.path as osp
import sys

import pytest
from mmengine.config import Config

from mmnetaug.utils.run_env import (check_pairable, environment_mismatch,
                                    run_environment)

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.join(ROOT, 'benchmarks'))
from studies import common, detection, pretrain, worker  # noqa
from studies import report as reports  # noqa

SETTING = '3-8 items 14-40px, 96px, x0.35, neck 32'


def _load(name):
    sys.path.insert(0, osp.join(ROOT, 'benchmarks'))
    spec = importlib.util.spec_from_file_location(
        f'{name}_benchmark', osp.join(ROOT, 'benchmarks', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(arm, widen, epochs, seed=0, mAP=0.1, core_seconds=100.0,
         env=None):
    return {common.key_of(SETTING, arm, widen, epochs, seed): dict(
        setting=SETTING, arm=arm, widen=widen, epochs=epochs, seed=seed,
        bbox_mAP=mAP, core_seconds=core_seconds, train_macs=1.0,
        env=env or run_environment())}


def _keys(study, results, seeds=(0, 1, 2, 3, 4)):
    args = argparse.Namespace(settings=[SETTING], seeds=list(seeds))
    plan = detection.pilot_plan if study == 'pilot' else detection.ladder_plan
    return {(r['arm'], r['epochs'], r['seed'])
            for r in plan(args, dict(runs=results))}


def test_pilot_adds_the_wide_4s_run_only_where_width_leads():
    unit = detection.SETTINGS[SETTING]['unit']
    planned = _keys('pilot', {})
    assert planned == {('baseline', 2 * unit, 0), ('wide', 2 * unit, 0),
                       ('baseline', 4 * unit, 0)}
    for gap, wanted in ((0.01, False), (0.06, True)):
        runs = {**_run('baseline', 0.35, 2 * unit, mAP=0.30),
                **_run('wide', 1.0, 2 * unit, mAP=0.30 + gap)}
        assert (('wide', 4 * unit, 0) in _keys('pilot', runs)) == wanted


def test_ladder_plans_the_cost_matched_baseline_once_k_is_measured():
    unit = detection.SETTINGS[SETTING]['ladder_unit']
    planned = _keys('ladder', {})
    assert {(a, e) for a, e, _ in planned} == {
        ('baseline', unit), ('netaug', unit), ('wide', unit),
        ('netaug', 2 * unit), ('baseline', 2 * unit), ('baseline', 4 * unit),
        ('netaug', 4 * unit),
        ('wide', 4 * unit)}
    assert {s for a, e, s in planned if (a, e) == ('netaug', unit)} == set(
        range(5))  # 5 seeds at S, 3 elsewhere, 1 for the wide one at 4S
    assert {s for a, e, s in planned if (a, e) == ('netaug', 4 * unit)} == {
        0, 1, 2}
    assert {s for a, e, s in planned if (a, e) == ('wide', unit)} == {
        0, 1, 2}
    assert {s for a, e, s in planned if (a, e) == ('wide', 4 * unit)} == {0}
    results = {**_run('baseline', 0.35, unit, core_seconds=100.0),
               **_run('netaug', 0.35, unit, core_seconds=270.0)}
    planned = _keys('ladder', results)
    k_epochs = round(2.7 * unit)
    assert {s for a, e, s in planned if (a, e) == ('baseline', k_epochs)} \
        == {0, 1, 2}


def test_schedule_starts_only_runs_that_fit_seed_by_seed(tmp_path):
    unit = detection.SETTINGS[SETTING]['ladder_unit']
    # finished runs set the estimates: 2 core-s an epoch for the baseline
    results = dict(runs=_run('baseline', 0.35, 10, seed=9,
                             core_seconds=20.0))
    args = argparse.Namespace(settings=[SETTING], seeds=[0, 1])
    todo = [dict(r, key=common.key_of(r['setting'], r['arm'], r['widen'],
                                      r['epochs'], r['seed']))
            for r in detection.ladder_plan(args, results)]
    order = worker.schedule(todo, results, str(tmp_path))
    assert [(r['arm'], r['epochs'], r['seed']) for r in order[:3]] == [
        ('netaug', unit, 0), ('baseline', unit, 0),  # they fix k
        ('netaug', 4 * unit, 0)]  # then the longest of seed 0
    assert {r['seed'] for r in order[:7]} == {0}
    base_4s = worker.estimate_core_seconds(
        results, dict(setting=SETTING, arm='baseline', widen=0.35,
                      epochs=4 * unit, val_every=unit // 2))
    assert base_4s == 4 * unit * 2.0 + 8 * worker.VAL_CORE_SECONDS
    # runs of another environment (the pilot's machine) do not count
    pilot = _run('baseline', 0.35, 480, core_seconds=48.0,
                 env=dict(run_environment(), opencv='5.0.0'))
    assert worker.estimate_core_seconds(
        dict(runs={**results['runs'], **pilot}),
        dict(setting=SETTING, arm='baseline', widen=0.35, epochs=4 * unit,
             val_every=unit // 2)) == base_4s
    # an hour and a bit left: only runs whose wall estimate fits
    fits = worker.schedule(todo, results, str(tmp_path), deadline=5000.0,
                           wall_factor=1.5, now=0.0)
    assert fits and all(1.5 * worker.estimate_core_seconds(results, r) <= 5000
                        for r in fits)
    assert ('baseline', 4 * unit, 0) in {(r['arm'], r['epochs'], r['seed'])
                                         for r in fits}
    assert ('netaug', 4 * unit, 0) not in {
        (r['arm'], r['epochs'], r['seed']) for r in fits}
    # a run with a checkpoint goes first, whatever its seed
    key = todo[-1]['key']
    (tmp_path / common.safe(key)).mkdir()
    (tmp_path / common.safe(key) / 'last_checkpoint').write_text('x')
    assert worker.schedule(todo, results, str(tmp_path))[0]['key'] == key


def test_a_run_that_falls_behind_its_deadline_stops(tmp_path, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(worker.time, 'time', lambda: clock[0])
    hook = worker.StudyProgressHook(str(tmp_path), deadline=1000.0 + 500)
    hook.before_train(argparse.Namespace(epoch=0))
    clock[0] += 30.0  # 10 s an epoch
    hook._check_time(3, 100)  # too early to judge
    clock[0] += 70.0
    with pytest.raises(worker.OutOfTime, match='epoch 10 of 100'):
        hook._check_time(10, 100)  # 90 more epochs at 10 s: too late
    hook._check_time(10, 45)  # 35 more: ends at 1450, in time
    # NetAug's epochs after the width stop weigh 0.64: 100 epochs, 10 done
    # in 100 s, then 40 at 10 s and 50 at 6.4 s: 720 s more, too late;
    # 40 epochs (10 + 10 at 10 s, 20 at 6.4 s) end in time
    hook.epoch_weight = worker.netaug_epoch_weight
    with pytest.raises(worker.OutOfTime):
        hook._check_time(10, 100)
    hook._check_time(10, 40)
    worker.StudyProgressHook(str(tmp_path))._check_time(5, 10**6)  # none set


def test_versions_must_match_to_pair(tmp_path):
    env = run_environment()
    assert {'torch', 'numpy', 'opencv', 'mmcv', 'mmdet', 'mmengine',
            'torch_threads'} <= set(env)
    other = dict(env, opencv='4.9.0')
    runs = [dict(env=env), dict(env=other)]
    assert environment_mismatch(runs) == [
        f'opencv: {sorted(["4.9.0", env["opencv"]])}']
    with pytest.raises(ValueError, match='opencv.*--allow-mixed-versions'):
        check_pairable(runs, 'NetAug vs baseline')
    check_pairable(runs, 'NetAug vs baseline', allow_mixed=True)
    check_pairable([dict(env=env), dict(env=dict(env))], 'same')
    # the reports refuse too: the ladder's and the shapes benchmark's
    unit = detection.SETTINGS[SETTING]['ladder_unit']
    results = dict(runs={**_run('netaug', 0.35, unit),
                         **_run('baseline', 0.35, unit, env=other)})
    with pytest.raises(ValueError, match='opencv'):
        reports.ladder_report(results, SETTING)
    acc = _load('accuracy')
    runs = {}
    for arm, run_env in (('netaug', env), ('baseline', other)):
        runs[acc.key_of(arm, 0.35, 'default', 50, 0)] = dict(
            arm=arm, widen=0.35, variant='default', epochs=50, seed=0,
            bbox_mAP=0.4, env=run_env)
    with pytest.raises(ValueError, match='opencv'):
        acc.paired(dict(runs=runs), 'netaug', 'baseline', 0.35, 'default',
                   50)


def test_resume_point_and_progress_keep_what_the_checkpoint_has(tmp_path):
    work = str(tmp_path)
    assert worker.resume_point(work) == (False, None)
    for epoch in (8, 10):
        open(osp.join(work, f'epoch_{epoch}.pth'), 'w').close()
    with open(osp.join(work, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(work, 'epoch_12.pth'))  # killed while saving it
    assert worker.resume_point(work) == (True, osp.join(work, 'epoch_10.pth'))

    progress = dict(epochs={str(e): dict(cpu=float(e), wall=2.0 * e)
                            for e in range(1, 13)},
                    val={'5': dict(bbox_mAP=0.1), '12': dict(bbox_mAP=0.2)})
    with open(osp.join(work, 'progress.json'), 'w') as f:
        json.dump(progress, f)
    with open(osp.join(work, 'wide_configs.jsonl'), 'w') as f:
        for e in range(1, 13):
            f.write(json.dumps(dict(epoch=e, configs=[[e]])) + '\n')
    hook = worker.StudyProgressHook(work)
    hook.before_train(argparse.Namespace(epoch=10))  # resumed at epoch 10
    assert sorted(map(int, hook.progress['epochs'])) == list(range(1, 11))
    assert hook.progress['val'] == {'5': dict(bbox_mAP=0.1)}
    assert hook.progress['resumed_at'] == [10]
    assert (hook.cpu, hook.wall) == (10.0, 20.0)  # cost up to the resume
    with open(osp.join(work, 'wide_configs.jsonl')) as f:
        assert [json.loads(line)['epoch'] for line in f] == list(
            range(1, 11))


def test_a_worker_in_another_environment_is_refused(tmp_path):
    """Before it pays for a run that could not be paired."""
    unit = detection.SETTINGS[SETTING]['ladder_unit']
    out = tmp_path / 'ladder.json'
    args = argparse.Namespace(settings=[SETTING], seeds=[0], out=str(out),
                              allow_mixed_versions=False)
    plans = (detection.ladder_plan, )
    worker.check_worker_environment(args, plans)  # no results yet
    other = dict(run_environment(), numpy='1.0.0')
    runs = {**_run('baseline', 0.35, unit, env=other),
            **_run('baseline', 0.35, 480, seed=0)}  # a pilot run
    out.write_text(json.dumps(dict(runs=runs)))
    with pytest.raises(ValueError, match='ladder_constraints.*numpy'):
        worker.check_worker_environment(args, plans)
    args.allow_mixed_versions = True
    worker.check_worker_environment(args, plans)
    # pilot runs (not in the ladder's plan) do not count
    del runs[common.key_of(SETTING, 'baseline', 0.35, unit, 0)]
    out.write_text(json.dumps(dict(runs={
        common.key_of(SETTING, 'baseline', 0.35, 480, 0): dict(
            setting=SETTING, arm='baseline', widen=0.35, epochs=480, seed=0,
            bbox_mAP=0.3, core_seconds=1.0, train_macs=1.0, env=other)})))
    args.allow_mixed_versions = False
    worker.check_worker_environment(args, plans)


def test_yolox_pair_scales_the_configs_schedule_to_s():
    """--study yolox: NetAug and its twin at S, 5 seeds, the twin at kS
    once k is known; the options land on the schedule entries they mean
    (the config's structure is checked, so a changed config cannot be
    scaled silently wrong)."""
    s = detection.PAIRS[detection.YOLOX_PAIR]
    args = argparse.Namespace(seeds=[0, 1, 2, 3, 4])
    assert {(r['arm'], r['epochs'], r['seed'])
            for r in detection.yolox_plan(args, dict(runs={}))} == {
        (arm, s['ladder_unit'], seed) for arm in ('baseline', 'netaug')
        for seed in (0, 1, 2, 3, 4)}
    # once k is measured, the twin at NetAug's cost joins, 3 seeds
    with_k = detection.yolox_plan(args, dict(runs={}, cost_ratio={
        detection.YOLOX_PAIR: 2.3}))
    assert {(r['arm'], r['epochs'], r['seed']) for r in with_k
            if r['epochs'] != s['ladder_unit']} == {
        ('baseline', round(2.3 * s['ladder_unit']), seed)
        for seed in (0, 1, 2)}
    for arm, path in s['configs'].items():
        cfg = Config.fromfile(osp.join(ROOT, path))
        cfg.merge_from_dict(detection.yolox_schedule_options(80, 40, 10))
        warm, cosine, constant = cfg.param_scheduler
        assert (warm.type, warm.end) == ('mmdet.QuadraticWarmupLR', 5)
        assert (cosine.type, cosine.begin, cosine.end) == (
            'CosineAnnealingLR', 5, 75)
        assert (constant.type, constant.begin, constant.end) == (
            'ConstantLR', 75, 80)
        switch = cfg.custom_hooks[0]
        assert (switch.type, switch.num_last_epochs) == (
            'YOLOXModeSwitchHook', 5)
        assert cfg.train_cfg.max_epochs == 80


def test_the_ladder_report_leaves_the_pilots_long_runs_out():
    """The pilot's 480-epoch runs (another machine and opencv) are not
    ladder rows: the report and plot show only the ladder's schedules."""
    unit = detection.SETTINGS[SETTING]['ladder_unit']
    other = dict(run_environment(), opencv='5.0.0')
    runs = {**_run('baseline', 0.35, unit, mAP=0.14),
            **_run('netaug', 0.35, unit, mAP=0.15),
            **_run('baseline', 0.35, 480, mAP=0.32, env=other)}
    report = reports.ladder_report(dict(runs=runs), SETTING)
    assert f'| {unit} (1.00S)' in report and '480' not in report
    assert '(a) NetAug S - baseline S: +0.010' in report


def test_ladder_and_pilot_runs_split_by_schedule():
    """The pilot plot keeps the pilot's long runs and leaves the ladder's
    (S, 2S, kS, 4S) out; the ladder keeps exactly the others."""
    unit = detection.SETTINGS[SETTING]['ladder_unit']
    runs = {**_run('baseline', 0.35, unit),
            **_run('baseline', 0.35, round(2.31 * unit)),
            **_run('wide', 1.0, 4 * unit),
            **_run('baseline', 0.35, 480)}
    results = dict(runs=runs, cost_ratio={SETTING: 2.31})
    ladder = reports.ladder_runs_only(results, SETTING)['runs']
    pilot = reports.pilot_runs_only(results, SETTING)['runs']
    assert {r['epochs'] for r in pilot.values()} == {480}
    assert set(ladder) | set(pilot) == set(runs)
    assert not set(ladder) & set(pilot)


def test_variants_change_training_only_and_pair_with_the_ladders_s():
    """--study variants: the shapes study's '+ neck' and 'aug_loss_weight
    0.5' on NetAug at the ladder's S, 3 seeds. They change what trains
    (the neck widens; the wide loss is halved), not the detector that is
    exported: its forward MACs equal plain NetAug's base."""
    unit = detection.SETTINGS[SETTING]['ladder_unit']
    args = argparse.Namespace(settings=[SETTING], seeds=[0, 1, 2, 3, 4],
                              cfg_options=None, ckpt_every=10)
    plan = detection.variants_plan(args, dict(runs={}))
    assert {(r['arm'], r['epochs'], r['seed']) for r in plan} == {
        (arm, unit, seed) for arm in ('netaug_neck', 'netaug_alw0.5')
        for seed in (0, 1, 2)}
    cfgs = {r['arm']: worker.run_config(args, r)[0] for r in plan}
    cfgs['netaug'] = worker.run_config(args, dict(plan[0], arm='netaug'))[0]
    assert cfgs['netaug_neck'].model.neck.type == 'mmnetaug.NetAugYOLOV3Neck'
    assert cfgs['netaug_neck'].model.backbone.augment_outputs
    assert cfgs['netaug_alw0.5'].train_cfg.aug_loss_weight == 0.5
    assert cfgs['netaug'].train_cfg.aug_loss_weight == 1.0
    assert cfgs['netaug'].model.neck.type != 'mmnetaug.NetAugYOLOV3Neck'
    assert len({worker.forward_macs(cfg, 96)['base']
                for cfg in cfgs.values()}) == 1


def test_the_variants_report_pairs_each_with_baseline_and_netaug_at_s():
    unit = detection.SETTINGS[SETTING]['ladder_unit']
    runs = {}
    for seed, (b, n, neck) in enumerate(((0.13, 0.14, 0.16),
                                         (0.14, 0.14, 0.13))):
        runs.update({**_run('baseline', 0.35, unit, seed, b),
                     **_run('netaug', 0.35, unit, seed, n),
                     **_run('netaug_neck', 0.35, unit, seed, neck)})
    results = dict(runs=runs)
    report = reports.variants_report(results, SETTING)
    neck = next(line for line in report.splitlines() if '+ neck' in line)
    # against the baseline: +0.03, -0.01; against NetAug: +0.02, -0.01
    assert '| +0.010 +/- 0.028 (1/2) | +0.005 +/- 0.021 (1/2) |' in neck
    assert 'aug_loss_weight' not in report  # no runs yet: no row
    assert '+ neck' not in reports.ladder_report(results, SETTING)


def test_the_ladder_report_pairs_the_wide_baseline_with_the_tiny_one():
    """The capacity check (is the tiny detector short of width?) is a
    paired difference over the seeds both widths have, not a lone run."""
    unit = detection.SETTINGS[SETTING]['ladder_unit']
    runs = {}
    for seed, (tiny, wide) in enumerate([(0.14, 0.17), (0.13, 0.18),
                                         (0.15, 0.14)]):
        runs.update({**_run('baseline', 0.35, unit, seed, mAP=tiny),
                     **_run('wide', 1.0, unit, seed, mAP=wide)})
    report = reports.ladder_report(dict(runs=runs), SETTING)
    assert ('capacity: wide x1.0 1S - baseline 1S: +0.023 +/- 0.031 '
            '(wide baseline wins 2/3)') in report


def test_a_paired_set_finishes_before_a_later_seed_starts(tmp_path):
    """When the lowest seed's runs left do not fit the time left, a worker
    starts nothing rather than a later seed's run (that would leave a
    paired set short)."""
    unit = detection.SETTINGS[SETTING]['ladder_unit']
    results = dict(runs=_run('baseline', 0.35, 10, seed=9,
                             core_seconds=20.0))
    todo = [dict(setting=SETTING, arm='netaug', widen=0.35, epochs=unit,
                 seed=0, val_every=unit // 2, phase=0),
            dict(setting=SETTING, arm='baseline', widen=0.35, epochs=unit,
                 seed=1, val_every=unit // 2, phase=0)]
    for run in todo:
        run['key'] = common.key_of(run['setting'], run['arm'], run['widen'],
                                   run['epochs'], run['seed'])
    costs = [worker.estimate_core_seconds(results, r) for r in todo]
    assert costs[0] > costs[1]
    deadline = (costs[0] + costs[1]) / 2  # seed 1's run fits, seed 0's not
    assert worker.schedule(todo, results, str(tmp_path), deadline=deadline,
                           wall_factor=1.0, now=0.0) == []
    assert [r['seed'] for r in worker.schedule(
        todo, results, str(tmp_path))] == [0]


PRE = 'plain items, 32 px'


def _pre_run(arm, widen, epochs, seed=0, top1=90.0, core_seconds=100.0):
    return {common.key_of(PRE, arm, widen, epochs, seed): dict(
        setting=PRE, arm=arm, widen=widen, epochs=epochs, seed=seed,
        top1=top1, core_seconds=core_seconds, train_macs=1.0,
        env=run_environment())}


def test_the_pretraining_study_plans_figure_6s_row():
    """Baseline and NetAug at S (5 seeds, weights kept for fine-tuning),
    the wide baseline at S and the baseline at 4S (3), the teacher (x1.0
    at 4S, seed 0); the baseline at kS once k is measured, KD and KD +
    NetAug (3, kept) once the teacher is trained."""
    unit = pretrain.PRETRAIN_SETTINGS[PRE]['study_unit']
    args = argparse.Namespace(settings=[PRE], seeds=[0, 1, 2, 3, 4])

    def plan(runs, **extra):
        return {(r['arm'], r['widen'], r['epochs'], r['seed']): r.get('keep')
                for r in pretrain.pretrain_plan(args, dict(runs=runs,
                                                           **extra))}

    first = plan({})
    assert {k[:3] for k in first} == {
        ('baseline', 0.35, unit), ('netaug', 0.35, unit),
        ('wide', 1.0, unit), ('baseline', 0.35, 4 * unit),
        ('teacher', 1.0, 4 * unit)}
    assert {k[3] for k in first if k[:3] == ('netaug', 0.35, unit)} == set(
        range(5))
    assert {k[3] for k in first if k[0] == 'wide'} == {0, 1, 2}
    assert {k for k, keep in first.items() if keep} == {
        (arm, 0.35, unit, s) for arm in ('baseline', 'netaug')
        for s in range(5)} | {('teacher', 1.0, 4 * unit, 0)}
    runs = {**_pre_run('baseline', 0.35, unit, core_seconds=100.0),
            **_pre_run('netaug', 0.35, unit, core_seconds=370.0),
            **_pre_run('teacher', 1.0, 4 * unit)}
    later = plan(runs)
    # kept: fine-tuning's equal-cost control starts from it
    assert {k[3] for k, keep in later.items()
            if k[:3] == ('baseline', 0.35, round(3.7 * unit)) and keep} == {
                0, 1, 2}
    for arm in ('kd', 'kd_netaug'):
        assert {k[3] for k, keep in later.items()
                if k[:3] == (arm, 0.35, unit) and keep} == {0, 1, 2}


def test_a_kd_run_reads_the_teachers_kept_files(tmp_path):
    """The KD arms' config: the teacher's kept config and weights, the
    student's width and the schedule scaled (cosine to the end)."""
    unit = pretrain.PRETRAIN_SETTINGS[PRE]['study_unit']
    args = argparse.Namespace(settings=[PRE], seeds=[0], cfg_options=None,
                              ckpt_every=4, kept_dir=str(tmp_path))
    run = dict(setting=PRE, arm='kd_netaug', widen=0.35, epochs=unit,
               seed=1, val_every=4)
    config, options = pretrain.run_options(args, run)
    assert config.endswith('kd_netaug_mbv2_fashion_cls.py')
    teacher = common.key_of(PRE, 'teacher', 1.0, 4 * unit, 0)
    assert options['model.distill.checkpoint'] == osp.join(
        str(tmp_path), common.safe(teacher) + '.pth')
    assert options['model.distill.config'].endswith(
        common.safe(teacher) + '.py')
    cfg = Config.fromfile(osp.join(ROOT, config))
    cfg.merge_from_dict(options)
    warm, cosine = cfg.param_scheduler
    assert (warm.type, warm.end) == ('LinearLR', 1)
    assert (cosine.type, cosine.begin, cosine.end, cosine.T_max) == (
        'CosineAnnealingLR', 1, unit, unit - 1)
    assert cfg.model.backbone.widen_factor == 0.35
    assert cfg.model.backbone.type == 'mmnetaug.NetAugMobileNetV2'
    assert cfg.train_cfg.max_epochs == unit


def test_the_pretraining_report_pairs_p1_to_p4():
    unit = pretrain.PRETRAIN_SETTINGS[PRE]['study_unit']
    runs = {}
    for seed, (base, net, kd) in enumerate([(88.0, 88.5, 88.4),
                                            (88.2, 88.4, 88.1)]):
        runs.update({**_pre_run('baseline', 0.35, unit, seed, base),
                     **_pre_run('netaug', 0.35, unit, seed, net),
                     **_pre_run('kd', 0.35, unit, seed, kd)})
    text = reports.pretrain_report(dict(runs=runs), PRE)
    assert ('(p1) NetAug - baseline: +0.35 +/- 0.21 (NetAug wins 2/2)'
            in text)
    assert '(p4) KD - NetAug: -0.20 +/- 0.14 (KD wins 0/2)' in text
    assert '(p2)' not in text  # no baseline at 4S yet


def test_a_teacher_hands_its_kept_files_to_kd(tmp_path):
    """End to end on tiny data, one seed: the worker trains
    the teacher, keeps its config and weights, and the KD arms start from
    them; every result records its score, cost and (KD) teacher MACs.
    S = 2 epochs (one warm-up epoch, then cosine)."""
    sys.path.insert(0, osp.join(ROOT, 'tests'))
    from helpers import rect_items, write_fashion_root
    data = write_fashion_root(
        str(tmp_path / 'fashion'),
        rect_items([0, 1] * 4, [22, 8] * 4, [8, 22] * 4),
        rect_items([1, 0], [8, 22], [22, 8]))
    import study
    args = ['--study', 'pretrain', '--settings', PRE, '--seeds', '0',
            '--unit', '2', '--ckpt-every', '1',
            '--work-dir', str(tmp_path / 'runs'),
            '--out', str(tmp_path / 'pretrain.json'),
            '--kept-dir', str(tmp_path / 'kept'), '--cfg-options',
            f'train_dataloader.dataset.data_root={data}',
            f'val_dataloader.dataset.data_root={data}',
            'model.num_classes=2', 'train_dataloader.batch_size=8']
    units = dict(pretrain.PRETRAIN_SETTINGS[PRE])
    try:
        study.main(args)
    finally:
        for name in ('unit', 'study_unit'):
            pretrain.PRETRAIN_SETTINGS[PRE][name] = units[name]
    with open(tmp_path / 'pretrain.json') as f:
        runs = json.load(f)['runs']
    arms = {r['arm']: r for r in runs.values()
            if r['epochs'] == 2 or r['arm'] == 'teacher'}  # at S
    assert set(arms) == {'baseline', 'netaug', 'wide', 'teacher', 'kd',
                         'kd_netaug'}
    teacher = common.safe(common.key_of(PRE, 'teacher', 1.0, 8, 0))
    assert osp.isfile(tmp_path / 'kept' / f'{teacher}.pth')
    assert arms['kd']['options']['model.distill.checkpoint'] == str(
        tmp_path / 'kept' / f'{teacher}.pth')
    assert arms['kd']['macs_teacher'] > arms['kd']['macs_base']
    assert arms['kd']['train_macs'] > arms['baseline']['train_macs']
    for arm in ('baseline', 'netaug', 'kd', 'kd_netaug'):
        kept = common.safe(common.key_of(PRE, arm, 0.35, 2, 0))
        assert osp.isfile(tmp_path / 'kept' / f'{kept}.pth'), arm
    assert arms['netaug']['macs_wide_mean'] > arms['netaug']['macs_base']
    assert 0.0 <= arms['kd_netaug']['top1'] <= 100.0


def test_a_finished_run_the_study_now_keeps_gets_its_weights_kept(
        tmp_path):
    """A pilot's run that the study shares once S is chosen (the pilot's
    2S is the study's S) finished without keeping its weights: the worker
    keeps them from its folder before it plans, and says how to retrain
    it when the checkpoint is gone."""
    import torch
    run = dict(setting=PRE, arm='baseline', widen=0.35, epochs=4, seed=0,
               val_every=1, phase=0, keep=True)
    key = common.key_of(PRE, 'baseline', 0.35, 4, 0)
    out = tmp_path / 'pretrain.json'
    with open(out, 'w') as f:
        json.dump(dict(runs=_pre_run('baseline', 0.35, 4)), f)
    args = argparse.Namespace(out=str(out), work_dir=str(tmp_path / 'runs'),
                              kept_dir=str(tmp_path / 'kept'),
                              cfg_options=None, ckpt_every=2)
    folder = common.work_dir_of(args.work_dir, key)
    with pytest.raises(SystemExit, match='delete its record'):
        worker.keep_finished(args, lambda a, r: [dict(run)])
    os.makedirs(folder)
    torch.save(dict(state_dict=dict(w=torch.ones(2)), optimizer={}),
               osp.join(folder, 'epoch_4.pth'))
    with open(osp.join(folder, 'baseline_mbv2_fashion_cls.py'), 'w') as f:
        f.write('# the run\'s dumped config\n')
    worker.keep_finished(args, lambda a, r: [dict(run)])
    config, weights = pretrain.kept_files(args.kept_dir, key)
    kept = torch.load(weights)
    assert kept['meta'] == dict(run=key, epoch=4)
    assert torch.equal(kept['state_dict']['w'], torch.ones(2))
    assert 'optimizer' not in kept and osp.isfile(config)


FT = 'pasted items, 96 px, from plain items, 32 px'


def test_fine_tuning_starts_each_arm_from_its_pretraining_run(tmp_path):
    """Each arm's detector: its fine-tuning config and the kept weights of
    the pretraining run of the same seed (a baseline detector from a
    NetAug run's exported base network; from scratch: none)."""
    from studies import finetune
    s = finetune.FINETUNE_SETTINGS[FT]
    pre = pretrain.PRETRAIN_SETTINGS[s['pretrain']]
    args = argparse.Namespace(settings=[FT], seeds=[0, 1, 2, 3, 4],
                              cfg_options=None, ckpt_every=10,
                              kept_dir=str(tmp_path))
    plan = finetune.finetune_plan(args, dict(runs={}))
    seeds = {}
    for r in plan:
        seeds.setdefault((r['arm'], r['epochs'] // s['unit']), set()).add(
            r['seed'])
    assert seeds[('baseline_from_baseline', 1)] == set(range(5))
    assert seeds[('netaug_from_netaug', 1)] == set(range(5))
    assert seeds[('baseline_from_baseline', 4)] == {0, 1, 2}
    assert seeds[('netaug_from_kd_netaug', 1)] == {0, 1, 2}
    assert seeds[('scratch', 1)] == {0, 1, 2}

    def options(arm):
        run = dict(setting=FT, arm=arm, widen=0.35, epochs=s['unit'],
                   seed=2, val_every=5)
        config, opts = finetune.run_options(args, run)
        cfg = Config.fromfile(osp.join(ROOT, config))
        cfg.merge_from_dict(opts)
        return cfg, cfg.model.backbone.get('init_cfg')

    def kept(arm, suffix='.pth'):
        key = common.key_of(s['pretrain'], arm, pre['widen'],
                            pre['study_unit'], 2)
        return osp.join(str(tmp_path), common.safe(key) + suffix)

    cfg, init = options('netaug_from_netaug')
    assert cfg.model.backbone.type == 'mmnetaug.NetAugMobileNetV2'
    assert init == dict(type='Pretrained', checkpoint=kept('netaug'),
                        prefix='backbone.')
    cfg, init = options('baseline_from_netaug')
    assert cfg.model.backbone.type == 'MobileNetV2'
    assert init['checkpoint'] == kept('netaug', '_base.pth')
    assert options('netaug_from_baseline')[1]['checkpoint'] == kept(
        'baseline')
    cfg, init = options('scratch')
    assert init is None and cfg.train_cfg.max_epochs == s['unit']
    assert cfg.model.backbone.widen_factor == 0.35


def test_a_worker_starts_only_runs_whose_pretraining_is_kept(
        tmp_path, monkeypatch, capsys):
    """A fine-tuning run waits for the kept weights of its pretraining run:
    the worker starts the arms whose weights exist (here the seed's
    baseline pretraining) and leaves the others planned, neither failed
    nor recorded, so a later worker starts them."""
    from studies import finetune
    s = finetune.FINETUNE_SETTINGS[FT]
    pre = pretrain.PRETRAIN_SETTINGS[s['pretrain']]
    args = argparse.Namespace(
        settings=[FT], seeds=[2], cfg_options=None, ckpt_every=10,
        kept_dir=str(tmp_path / 'kept'), out=str(tmp_path / 'finetune.json'),
        work_dir=str(tmp_path / 'runs'), deadline=None, wall_factor=1.15,
        stop_by=None)
    os.makedirs(args.kept_dir)
    key = common.key_of(s['pretrain'], 'baseline', pre['widen'],
                        pre['study_unit'], 2)
    open(osp.join(args.kept_dir, common.safe(key) + '.pth'), 'w').close()
    started = []

    def train_run(args, run):
        started.append(run['arm'])
        return dict(setting=run['setting'], arm=run['arm'],
                    widen=run['widen'], epochs=run['epochs'],
                    seed=run['seed'], bbox_mAP=0.1, core_seconds=60.0,
                    env=run_environment())

    monkeypatch.setattr(worker, 'train_run', train_run)
    worker.work(args, finetune.finetune_plan)
    assert sorted(started) == sorted([
        'baseline_from_baseline', 'baseline_from_baseline',  # F and 4F
        'netaug_from_baseline', 'scratch'])
    with open(args.out) as f:
        results = json.load(f)
    assert len(results['runs']) == 4 and results['claimed'] == {}
    waiting = [r for r in finetune.finetune_plan(args, results)
               if common.key_of(r['setting'], r['arm'], r['widen'],
                                r['epochs'], r['seed']) not in results['runs']]
    assert {r['arm'] for r in waiting} == {
        'netaug_from_netaug', 'baseline_from_netaug', 'netaug_from_kd_netaug'}
    assert '3 runs wait for kept weights' in capsys.readouterr().out


def _ft_run(arm, epochs, seed, mAP, core_seconds):
    return {common.key_of(FT, arm, 0.35, epochs, seed): dict(
        setting=FT, arm=arm, widen=0.35, epochs=epochs, seed=seed,
        bbox_mAP=mAP, core_seconds=core_seconds, train_macs=1.0,
        env=run_environment())}


def test_the_equal_cost_control_spends_netaugs_core_hours(tmp_path):
    """(f4): once NetAug's cost ratios are measured in pretraining (k) and
    fine-tuning (k'), the baseline pretrained at kS (its kept weights)
    and fine-tuned at k'F joins (3 seeds); the report weighs every arm by
    pretraining plus fine-tuning and pairs the best arm with it, and with
    the best baseline schedule that costs no more in total."""
    from studies import finetune, report
    s = finetune.FINETUNE_SETTINGS[FT]
    unit, pre_unit = s['unit'], pretrain.PRETRAIN_SETTINGS[PRE]['study_unit']
    pre = {**_pre_run('baseline', 0.35, pre_unit, core_seconds=1000.0),
           **_pre_run('netaug', 0.35, pre_unit, core_seconds=4000.0),
           **_pre_run('baseline', 0.35, 4 * pre_unit, core_seconds=4000.0)}
    out = tmp_path / 'finetune.json'
    args = argparse.Namespace(settings=[FT], seeds=[0, 1, 2, 3, 4],
                              cfg_options=None, ckpt_every=10,
                              kept_dir=str(tmp_path), out=str(out))
    runs = {**_ft_run('baseline_from_baseline', unit, 0, 0.20, 100.0),
            **_ft_run('netaug_from_netaug', unit, 0, 0.25, 250.0)}

    def control(results):
        return {(r['epochs'], r['seed']) for r in
                finetune.finetune_plan(args, results)
                if r['arm'] == finetune.EQUAL_COST_ARM}

    assert control(dict(runs=dict(runs))) == set()  # k unknown
    with open(tmp_path / 'pretrain.json', 'w') as f:
        json.dump(dict(runs=pre, cost_ratio={PRE: 4.0}), f)
    assert control(dict(runs=dict(runs))) == {(round(2.5 * unit), s)
                                              for s in range(3)}
    run = dict(setting=FT, arm=finetune.EQUAL_COST_ARM, widen=0.35,
               epochs=round(2.5 * unit), seed=0, val_every=5)
    init = finetune.run_options(args, run)[1]['model.backbone.init_cfg']
    assert init['checkpoint'] == osp.join(str(tmp_path), common.safe(
        common.key_of(PRE, 'baseline', 0.35, 4 * pre_unit, 0)) + '.pth')

    results = dict(runs={})
    for seed, (b, n, c) in enumerate([(0.20, 0.25, 0.22), (0.21, 0.24, 0.23),
                                      (0.19, 0.26, 0.20)]):
        results['runs'].update({
            **_ft_run('baseline_from_baseline', unit, seed, b, 100.0),
            **_ft_run('netaug_from_netaug', unit, seed, n, 250.0),
            **_ft_run(finetune.EQUAL_COST_ARM, round(2.5 * unit), seed, c,
                      250.0),
            # cheaper in total (1000 + 400 core-s) and better than any arm
            **_ft_run('baseline_from_baseline', 4 * unit, seed, b + 0.1,
                      400.0)})
    pre_all = dict(runs={}, cost_ratio={PRE: 4.0})
    for seed in range(3):
        for arm, mult, cs in (('baseline', 1, 1000.0), ('netaug', 1, 4000.0),
                              ('baseline', 4, 4000.0)):
            pre_all['runs'].update(_pre_run(arm, 0.35, mult * pre_unit,
                                            seed, core_seconds=cs))
    # no pick while an arm at F has fewer than 3 seeds: the best of the
    # finished arms is not the best arm
    short = dict(runs={k: r for k, r in results['runs'].items()
                       if not (r['arm'] == 'netaug_from_netaug'
                               and r['seed'] == 2)})
    assert '(f4)' not in report.finetune_report(short, FT, pre_all)
    text = report.finetune_report(results, FT, pre_all)
    f4 = [line for line in text.splitlines() if line.startswith('- (f4)')]
    assert f4 and '+0.033' in f4[0] and 'wins 3/3' in f4[0], text
    # and against the best baseline that costs no more: the 4F schedule
    assert len(f4) == 2 and f'({4 * unit} fine-tuning epochs)' in f4[1] \
        and '-0.050' in f4[1] and 'wins 0/3' in f4[1], text
    assert 'NetAug-pretrained, NetAug fine-tuning at ' \
        f'{unit} epochs 1.18' in text  # (4000 + 250) / 3600
    assert f"fine-tuning at k'F at {round(2.5 * unit)} epochs 1.18" in text

    # the README's figure reads the pretraining results beside --out
    import study
    with open(out, 'w') as f:
        json.dump(results, f)
    with open(tmp_path / 'pretrain.json', 'w') as f:
        json.dump(pre_all, f)
    study.main(['--study', 'finetune', '--settings', FT, '--report-only',
                '--out', str(out), '--png-dir', str(tmp_path / 'png')])
    assert osp.getsize(tmp_path / 'png' / 'regimes.png') > 10000


def test_the_pretraining_pilot_keeps_the_run_the_study_shares():
    """The pilot's baseline at S is the study's (seed 0, same key): it
    keeps its weights for fine-tuning as the study's runs at S do."""
    args = argparse.Namespace(settings=list(pretrain.PRETRAIN_SETTINGS),
                              seeds=[0])
    pilot = pretrain.pilot_plan(args, dict(runs={}))
    kept = {(r['setting'], r['arm'], r['epochs']) for r in pilot
            if r['keep']}
    assert kept == {(s, 'baseline', spec['study_unit']) for s, spec in
                    pretrain.PRETRAIN_SETTINGS.items()}
    study = pretrain.pretrain_plan(argparse.Namespace(
        settings=[PRE], seeds=[0]), dict(runs={}))
    shared = [r for r in study if (r['setting'], r['arm'], r['epochs'],
                                   r['seed']) == (PRE, 'baseline',
                                                  pretrain.PRETRAIN_SETTINGS[
                                                      PRE]['study_unit'], 0)]
    assert len(shared) == 1 and shared[0]['keep']


def test_stop_by_is_the_next_occurrence_of_the_time():
    """A session that runs past midnight gives tomorrow's time."""
    import time
    evening = time.mktime((2026, 12, 6, 23, 30, 0, 0, 0, -1))
    deadline = worker.parse_stop_by('00:45', now=evening)
    assert time.localtime(deadline)[:5] == (2026, 12, 7, 0, 45)
    deadline = worker.parse_stop_by('23:50', now=evening)
    assert time.localtime(deadline)[:5] == (2026, 12, 6, 23, 50)
    with pytest.raises(SystemExit, match='HH:MM'):
        worker.parse_stop_by('quarter past')


def test_the_pretraining_pilot_tries_2s_where_s_is_not_converged():
    """S to 2S gaining 0.3 points or more: the baseline at 4S and the wide
    one at 2S join, so that 2S can be judged as S."""
    unit = pretrain.PRETRAIN_SETTINGS[PRE]['unit']
    args = argparse.Namespace(settings=[PRE], seeds=[0])

    def planned(s_top1, two_s_top1):
        runs = {**_pre_run('baseline', 0.35, unit, top1=s_top1),
                **_pre_run('baseline', 0.35, 2 * unit, top1=two_s_top1)}
        return {(r['arm'], r['epochs'] // unit)
                for r in pretrain.pilot_plan(args, dict(runs=runs))}

    base = {('baseline', 1), ('baseline', 2), ('wide', 1)}
    assert planned(91.0, 91.2) == base
    assert planned(90.25, 91.70) == base | {('baseline', 4), ('wide', 2)}


def test_an_unfinished_run_reports_epochs_done_of_its_schedule(tmp_path):
    key = common.key_of(SETTING, 'netaug', 0.35, 32, 0)
    run_dir = tmp_path / common.safe(key)
    run_dir.mkdir()
    (run_dir / 'progress.json').write_text(json.dumps(dict(
        epochs={'4': dict(cpu=400.0), '6': dict(cpu=600.0)},
        val={'4': dict(bbox_mAP=0.05)})))
    run = dict(key=key, setting=SETTING, arm='netaug', widen=0.35,
               epochs=32, seed=0)
    finished = dict(key='other', setting=SETTING, arm='baseline',
                    widen=0.35, epochs=32, seed=0)
    [line] = reports.unfinished(str(tmp_path), [run, finished])
    assert '(running: 6 of 32 epochs)' in line
    assert '4: 0.050' in line and line.endswith(' 100.0 |')


def test_4s_serves_as_ks_when_netaug_costs_about_4x():
    """k = 3.9: kS (125 epochs) is within 5% of 4S (128), so no kS arm of
    its own: the 4S runs are kept, (p3) pairs with them, and fine-tuning's
    equal-cost control starts from them. k = 3.7 keeps a kS arm."""
    unit = pretrain.PRETRAIN_SETTINGS[PRE]['study_unit']
    assert pretrain.cost_matched_epochs(3.9, unit) == 4 * unit
    assert pretrain.cost_matched_epochs(3.7, unit) == round(3.7 * unit)
    args = argparse.Namespace(settings=[PRE], seeds=[0, 1, 2, 3, 4])
    runs = {}
    for seed in (0, 1, 2):
        runs.update({
            **_pre_run('baseline', 0.35, unit, seed, 90.0, 100.0),
            **_pre_run('netaug', 0.35, unit, seed, 90.5, 390.0),
            **_pre_run('baseline', 0.35, 4 * unit, seed, 91.0 + seed)})
    plan = pretrain.pretrain_plan(args, dict(runs=runs))
    baseline = {(r['epochs'], r['seed']): r['keep'] for r in plan
                if r['arm'] == 'baseline' and r['epochs'] > unit}
    assert baseline == {(4 * unit, s): True for s in (0, 1, 2)}
    text = reports.pretrain_report(dict(runs=runs, cost_ratio={PRE: 3.9}),
                                   PRE)
    assert ('(p3) NetAug - baseline kS (k=3.90, the 4S runs): -1.50 +/- '
            '1.00 (NetAug wins 0/3)' in text)
    from studies import finetune
    control = finetune.pretraining_run(FT, finetune.EQUAL_COST_ARM, 3.9)
    assert control == (PRE, 'baseline', 0.35, 4 * unit)
