"""The accuracy benchmark plans the controls each comparison needs."""
import argparse
import importlib.util
import os.path as osp

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def _accuracy():
    spec = importlib.util.spec_from_file_location(
        'accuracy_benchmark', osp.join(ROOT, 'benchmarks', 'accuracy.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _args(acc, variants):
    mode = acc.MODES['quick']
    return argparse.Namespace(
        studies=['regime'], seeds=[], regime_seeds=[0], variants=variants,
        widen=mode['widen'], wider=mode['wider'], epochs=mode['epochs'],
        mode_options=mode['options'], cfg_options=None,
        netaug=acc.PAIR['netaug'], baseline=acc.PAIR['baseline'])


def _planned(acc, variants, results):
    return {(arm, key.split('|')[2])
            for key, arm, *_ in acc.plan(_args(acc, variants), results)}


def test_regime_variant_that_changes_the_supernet_gets_its_own_w0():
    acc = _accuracy()
    planned = _planned(acc, ['+ neck', 'aug_loss_weight 0.5'], dict(runs={}))
    assert ('netaug', '+ neck') in planned
    assert ('netaug_w0', '+ neck') in planned
    # a loss weight leaves the w0 control as it is: the default one serves
    assert ('netaug', 'aug_loss_weight 0.5') in planned
    assert ('netaug_w0', 'aug_loss_weight 0.5') not in planned
    # NetAug-only variants never retrain the baselines
    assert not {v for a, v in planned if a.startswith('baseline')} - {
        'default'}


def test_variant_for_all_arms_plans_every_arm_once_times_are_known():
    acc = _accuracy()
    variant = 'lr x3 (all arms)'
    planned = _planned(acc, [variant], dict(runs={}))
    assert {a for a, v in planned if v == variant} == {
        'baseline', 'netaug', 'netaug_w0'}  # time-matched: not yet
    key = acc.key_of
    results = dict(runs={
        key(arm, 0.35, variant, 50, 0): dict(
            arm=arm, widen=0.35, variant=variant, epochs=50, seed=0,
            seconds=seconds, bbox_mAP=0.1)
        for arm, seconds in (('netaug', 240.0), ('baseline', 100.0))})
    runs = acc.plan(_args(acc, [variant]), results)
    timed = [r for r in runs if r[1] == 'baseline_time' and variant in r[0]]
    assert len(timed) == 1
    assert timed[0][3]['train_cfg.max_epochs'] == 120  # 50 x 2.4
