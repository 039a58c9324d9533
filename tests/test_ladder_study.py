"""The where-NetAug-pays study (benchmarks/ladder.py): what it plans, how a
run resumes its cost and curve, and that runs of different versions are
not paired."""
import argparse
import importlib.util
import json
import os.path as osp
import sys

import pytest
from mmengine.config import Config

from mmnetaug.utils.run_env import (check_pairable, environment_mismatch,
                                    run_environment)

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SETTING = '3-8 items 14-40px, 96px, x0.35, neck 32'


def _load(name):
    sys.path.insert(0, osp.join(ROOT, 'benchmarks'))
    spec = importlib.util.spec_from_file_location(
        f'{name}_benchmark', osp.join(ROOT, 'benchmarks', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(lad, arm, widen, epochs, seed=0, mAP=0.1, core_seconds=100.0,
         env=None):
    return {lad.key_of(SETTING, arm, widen, epochs, seed): dict(
        setting=SETTING, arm=arm, widen=widen, epochs=epochs, seed=seed,
        bbox_mAP=mAP, core_seconds=core_seconds, train_macs=1.0,
        env=env or run_environment())}


def _keys(lad, study, results, seeds=(0, 1, 2, 3, 4)):
    args = argparse.Namespace(settings=[SETTING], seeds=list(seeds))
    plan = lad.pilot_plan if study == 'pilot' else lad.ladder_plan
    return {(r['arm'], r['epochs'], r['seed'])
            for r in plan(args, dict(runs=results))}


def test_pilot_adds_the_wide_4s_run_only_where_width_leads():
    lad = _load('ladder')
    unit = lad.SETTINGS[SETTING]['unit']
    planned = _keys(lad, 'pilot', {})
    assert planned == {('baseline', 2 * unit, 0), ('wide', 2 * unit, 0),
                       ('baseline', 4 * unit, 0)}
    for gap, wanted in ((0.01, False), (0.06, True)):
        runs = {**_run(lad, 'baseline', 0.35, 2 * unit, mAP=0.30),
                **_run(lad, 'wide', 1.0, 2 * unit, mAP=0.30 + gap)}
        assert (('wide', 4 * unit, 0) in _keys(lad, 'pilot', runs)) == wanted


def test_ladder_plans_the_cost_matched_baseline_once_k_is_measured():
    lad = _load('ladder')
    unit = lad.SETTINGS[SETTING]['ladder_unit']
    planned = _keys(lad, 'ladder', {})
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
    results = {**_run(lad, 'baseline', 0.35, unit, core_seconds=100.0),
               **_run(lad, 'netaug', 0.35, unit, core_seconds=270.0)}
    planned = _keys(lad, 'ladder', results)
    k_epochs = round(2.7 * unit)
    assert {s for a, e, s in planned if (a, e) == ('baseline', k_epochs)} \
        == {0, 1, 2}


def test_schedule_starts_only_runs_that_fit_seed_by_seed(tmp_path):
    lad = _load('ladder')
    unit = lad.SETTINGS[SETTING]['ladder_unit']
    # finished runs set the estimates: 2 core-s an epoch for the baseline
    results = dict(runs=_run(lad, 'baseline', 0.35, 10, seed=9,
                             core_seconds=20.0))
    args = argparse.Namespace(settings=[SETTING], seeds=[0, 1])
    todo = [dict(r, key=lad.key_of(r['setting'], r['arm'], r['widen'],
                                   r['epochs'], r['seed']))
            for r in lad.ladder_plan(args, results)]
    order = lad.schedule(todo, results, str(tmp_path))
    assert [(r['arm'], r['epochs'], r['seed']) for r in order[:3]] == [
        ('netaug', unit, 0), ('baseline', unit, 0),  # they fix k
        ('netaug', 4 * unit, 0)]  # then the longest of seed 0
    assert {r['seed'] for r in order[:7]} == {0}
    base_4s = lad.estimate_core_seconds(
        results, dict(setting=SETTING, arm='baseline', widen=0.35,
                      epochs=4 * unit, val_every=unit // 2))
    assert base_4s == 4 * unit * 2.0 + 8 * lad.VAL_CORE_SECONDS
    # runs of another environment (the pilot's machine) do not count
    pilot = _run(lad, 'baseline', 0.35, 480, core_seconds=48.0,
                 env=dict(run_environment(), opencv='5.0.0'))
    assert lad.estimate_core_seconds(
        dict(runs={**results['runs'], **pilot}),
        dict(setting=SETTING, arm='baseline', widen=0.35, epochs=4 * unit,
             val_every=unit // 2)) == base_4s
    # an hour and a bit left: only runs whose wall estimate fits
    fits = lad.schedule(todo, results, str(tmp_path), deadline=5000.0,
                        wall_factor=1.5, now=0.0)
    assert fits and all(1.5 * lad.estimate_core_seconds(results, r) <= 5000
                        for r in fits)
    assert ('baseline', 4 * unit, 0) in {(r['arm'], r['epochs'], r['seed'])
                                         for r in fits}
    assert ('netaug', 4 * unit, 0) not in {
        (r['arm'], r['epochs'], r['seed']) for r in fits}
    # a run with a checkpoint goes first, whatever its seed
    key = todo[-1]['key']
    (tmp_path / lad._safe(key)).mkdir()
    (tmp_path / lad._safe(key) / 'last_checkpoint').write_text('x')
    assert lad.schedule(todo, results, str(tmp_path))[0]['key'] == key


def test_a_run_that_falls_behind_its_deadline_stops(tmp_path, monkeypatch):
    lad = _load('ladder')
    clock = [1000.0]
    monkeypatch.setattr(lad.time, 'time', lambda: clock[0])
    hook = lad.StudyProgressHook(str(tmp_path), deadline=1000.0 + 500)
    hook.before_train(argparse.Namespace(epoch=0))
    clock[0] += 30.0  # 10 s an epoch
    hook._check_time(3, 100)  # too early to judge
    clock[0] += 70.0
    with pytest.raises(lad.OutOfTime, match='epoch 10 of 100'):
        hook._check_time(10, 100)  # 90 more epochs at 10 s: too late
    hook._check_time(10, 45)  # 35 more: ends at 1450, in time
    # NetAug's epochs after the width stop weigh 0.64: 100 epochs, 10 done
    # in 100 s, then 40 at 10 s and 50 at 6.4 s: 720 s more, too late;
    # 40 epochs (10 + 10 at 10 s, 20 at 6.4 s) end in time
    hook.epoch_weight = lad.netaug_epoch_weight
    with pytest.raises(lad.OutOfTime):
        hook._check_time(10, 100)
    hook._check_time(10, 40)
    lad.StudyProgressHook(str(tmp_path))._check_time(5, 10**6)  # none set


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
    lad = _load('ladder')
    unit = lad.SETTINGS[SETTING]['ladder_unit']
    results = dict(runs={**_run(lad, 'netaug', 0.35, unit),
                         **_run(lad, 'baseline', 0.35, unit, env=other)})
    with pytest.raises(ValueError, match='opencv'):
        lad.ladder_report(results, SETTING)
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
    lad = _load('ladder')
    work = str(tmp_path)
    assert lad.resume_point(work) == (False, None)
    for epoch in (8, 10):
        open(osp.join(work, f'epoch_{epoch}.pth'), 'w').close()
    with open(osp.join(work, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(work, 'epoch_12.pth'))  # killed while saving it
    assert lad.resume_point(work) == (True, osp.join(work, 'epoch_10.pth'))

    progress = dict(epochs={str(e): dict(cpu=float(e), wall=2.0 * e)
                            for e in range(1, 13)},
                    val={'5': dict(bbox_mAP=0.1), '12': dict(bbox_mAP=0.2)})
    with open(osp.join(work, 'progress.json'), 'w') as f:
        json.dump(progress, f)
    with open(osp.join(work, 'wide_configs.jsonl'), 'w') as f:
        for e in range(1, 13):
            f.write(json.dumps(dict(epoch=e, configs=[[e]])) + '\n')
    hook = lad.StudyProgressHook(work)
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
    lad = _load('ladder')
    unit = lad.SETTINGS[SETTING]['ladder_unit']
    out = tmp_path / 'ladder.json'
    args = argparse.Namespace(settings=[SETTING], seeds=[0], out=str(out),
                              allow_mixed_versions=False)
    lad.check_worker_environment(args)  # no results yet
    other = dict(run_environment(), numpy='1.0.0')
    runs = {**_run(lad, 'baseline', 0.35, unit, env=other),
            **_run(lad, 'baseline', 0.35, 480, seed=0)}  # a pilot run
    out.write_text(json.dumps(dict(runs=runs)))
    with pytest.raises(ValueError, match='ladder_constraints.*numpy'):
        lad.check_worker_environment(args)
    args.allow_mixed_versions = True
    lad.check_worker_environment(args)
    # pilot runs (not in the ladder's plan) do not count
    del runs[lad.key_of(SETTING, 'baseline', 0.35, unit, 0)]
    out.write_text(json.dumps(dict(runs={
        lad.key_of(SETTING, 'baseline', 0.35, 480, 0): dict(
            setting=SETTING, arm='baseline', widen=0.35, epochs=480, seed=0,
            bbox_mAP=0.3, core_seconds=1.0, train_macs=1.0, env=other)})))
    args.allow_mixed_versions = False
    lad.check_worker_environment(args)


def test_yolox_pair_scales_the_configs_schedule_to_s():
    """--study yolox: NetAug and its twin at S, 5 seeds, the twin at kS
    once k is known; the options land on the schedule entries they mean
    (the config's structure is checked, so a changed config cannot be
    scaled silently wrong)."""
    lad = _load('ladder')
    s = lad.PAIRS[lad.YOLOX_PAIR]
    args = argparse.Namespace(seeds=[0, 1, 2, 3, 4])
    assert {(r['arm'], r['epochs'], r['seed'])
            for r in lad.yolox_plan(args, dict(runs={}))} == {
        (arm, s['ladder_unit'], seed) for arm in ('baseline', 'netaug')
        for seed in (0, 1, 2, 3, 4)}
    # once k is measured, the twin at NetAug's cost joins, 3 seeds
    with_k = lad.yolox_plan(args, dict(runs={}, cost_ratio={
        lad.YOLOX_PAIR: 2.3}))
    assert {(r['arm'], r['epochs'], r['seed']) for r in with_k
            if r['epochs'] != s['ladder_unit']} == {
        ('baseline', round(2.3 * s['ladder_unit']), seed)
        for seed in (0, 1, 2)}
    for arm, path in s['configs'].items():
        cfg = Config.fromfile(osp.join(ROOT, path))
        cfg.merge_from_dict(lad.yolox_schedule_options(80, 40, 10))
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
    lad = _load('ladder')
    unit = lad.SETTINGS[SETTING]['ladder_unit']
    other = dict(run_environment(), opencv='5.0.0')
    runs = {**_run(lad, 'baseline', 0.35, unit, mAP=0.14),
            **_run(lad, 'netaug', 0.35, unit, mAP=0.15),
            **_run(lad, 'baseline', 0.35, 480, mAP=0.32, env=other)}
    report = lad.ladder_report(dict(runs=runs), SETTING)
    assert f'| {unit} (1.00S)' in report and '480' not in report
    assert '(a) NetAug S - baseline S: +0.010' in report


def test_ladder_and_pilot_runs_split_by_schedule():
    """The pilot plot keeps the pilot's long runs and leaves the ladder's
    (S, 2S, kS, 4S) out; the ladder keeps exactly the others."""
    lad = _load('ladder')
    unit = lad.SETTINGS[SETTING]['ladder_unit']
    runs = {**_run(lad, 'baseline', 0.35, unit),
            **_run(lad, 'baseline', 0.35, round(2.31 * unit)),
            **_run(lad, 'wide', 1.0, 4 * unit),
            **_run(lad, 'baseline', 0.35, 480)}
    results = dict(runs=runs, cost_ratio={SETTING: 2.31})
    ladder = lad.ladder_runs_only(results, SETTING)['runs']
    pilot = lad.pilot_runs_only(results, SETTING)['runs']
    assert {r['epochs'] for r in pilot.values()} == {480}
    assert set(ladder) | set(pilot) == set(runs)
    assert not set(ladder) & set(pilot)


def test_variants_change_training_only_and_pair_with_the_ladders_s():
    """--study variants: the shapes study's '+ neck' and 'aug_loss_weight
    0.5' on NetAug at the ladder's S, 3 seeds. They change what trains
    (the neck widens; the wide loss is halved), not the detector that is
    exported: its forward MACs equal plain NetAug's base."""
    lad = _load('ladder')
    unit = lad.SETTINGS[SETTING]['ladder_unit']
    args = argparse.Namespace(settings=[SETTING], seeds=[0, 1, 2, 3, 4],
                              cfg_options=None, ckpt_every=10)
    plan = lad.variants_plan(args, dict(runs={}))
    assert {(r['arm'], r['epochs'], r['seed']) for r in plan} == {
        (arm, unit, seed) for arm in ('netaug_neck', 'netaug_alw0.5')
        for seed in (0, 1, 2)}
    cfgs = {r['arm']: lad.run_config(args, r)[0] for r in plan}
    cfgs['netaug'] = lad.run_config(args, dict(plan[0], arm='netaug'))[0]
    assert cfgs['netaug_neck'].model.neck.type == 'mmnetaug.NetAugYOLOV3Neck'
    assert cfgs['netaug_neck'].model.backbone.augment_outputs
    assert cfgs['netaug_alw0.5'].train_cfg.aug_loss_weight == 0.5
    assert cfgs['netaug'].train_cfg.aug_loss_weight == 1.0
    assert cfgs['netaug'].model.neck.type != 'mmnetaug.NetAugYOLOV3Neck'
    assert len({lad.forward_macs(cfg, 96)['base']
                for cfg in cfgs.values()}) == 1


def test_the_variants_report_pairs_each_with_baseline_and_netaug_at_s():
    lad = _load('ladder')
    unit = lad.SETTINGS[SETTING]['ladder_unit']
    runs = {}
    for seed, (b, n, neck) in enumerate(((0.13, 0.14, 0.16),
                                         (0.14, 0.14, 0.13))):
        runs.update({**_run(lad, 'baseline', 0.35, unit, seed, b),
                     **_run(lad, 'netaug', 0.35, unit, seed, n),
                     **_run(lad, 'netaug_neck', 0.35, unit, seed, neck)})
    results = dict(runs=runs)
    report = lad.variants_report(results, SETTING)
    neck = next(line for line in report.splitlines() if '+ neck' in line)
    # against the baseline: +0.03, -0.01; against NetAug: +0.02, -0.01
    assert '| +0.010 +/- 0.028 (1/2) | +0.005 +/- 0.021 (1/2) |' in neck
    assert 'aug_loss_weight' not in report  # no runs yet: no row
    assert '+ neck' not in lad.ladder_report(results, SETTING)


def test_the_ladder_report_pairs_the_wide_baseline_with_the_tiny_one():
    """The capacity check (is the tiny detector short of width?) is a
    paired difference over the seeds both widths have, not a lone run."""
    lad = _load('ladder')
    unit = lad.SETTINGS[SETTING]['ladder_unit']
    runs = {}
    for seed, (tiny, wide) in enumerate([(0.14, 0.17), (0.13, 0.18),
                                         (0.15, 0.14)]):
        runs.update({**_run(lad, 'baseline', 0.35, unit, seed, mAP=tiny),
                     **_run(lad, 'wide', 1.0, unit, seed, mAP=wide)})
    report = lad.ladder_report(dict(runs=runs), SETTING)
    assert ('capacity: wide x1.0 1S - baseline 1S: +0.023 +/- 0.031 '
            '(wide baseline wins 2/3)') in report
