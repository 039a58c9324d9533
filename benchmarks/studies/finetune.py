"""The fine-tuning studies, as data (issue 30, part 2): detectors on the
from-scratch ladder's task (``configs/fashion/``) initialised from the
pretraining study's runs of the same seed, as the paper's detectors start
from ImageNet-pretrained backbones.

* ``finetune_pilot``: the baseline-pretrained baseline at F, 2F and 4F
  (seed 0), validated every F/4: F is chosen as the shortest schedule
  whose F-to-4F gain is at most 0.02 mAP (or the closest that fits).
* ``finetune``: at F, seeds paired (5 for the first two arms, 3 for the
  others): {baseline-, NetAug-pretrained} x {baseline, NetAug fine-tuning},
  KD + NetAug-pretrained with NetAug fine-tuning, from scratch (the
  ladder's twin) for reference, and the baseline-pretrained baseline at 4F
  (3 seeds); once both cost ratios are measured, the equal-cost control
  of (f4): the baseline pretrained at kS and fine-tuned at k'F (k, k':
  NetAug's core-second ratios in pretraining and in fine-tuning), the
  NetAug pipeline's core-hours split as it splits them (3 seeds).
  Answers (f1)-(f4) in ``report.finetune_report``.

Arms are named ``<fine-tuning>_from_<pretraining>``. A NetAug detector
starts from the whole pretrained supernet (its output stages take their
leading slice), a baseline detector from the pretrained run's base network
(the export of a NetAug supernet).
"""
import os.path as osp

from . import detection, pretrain
from .common import (ROOT, cost_matched_epochs, cost_ratio, find, key_of,
                     sibling_results)

DETECTION_SETTING = '3-8 items 14-40px, 96px, x0.35, neck 32'
# arm: (fine-tuning, pretraining arm or None for from scratch)
ARMS = {
    'baseline_from_baseline': ('baseline', 'baseline'),
    'baseline_from_netaug': ('baseline', 'netaug'),
    'netaug_from_baseline': ('netaug', 'baseline'),
    'netaug_from_netaug': ('netaug', 'netaug'),
    'netaug_from_kd_netaug': ('netaug', 'kd_netaug'),
    'scratch': ('baseline', None),
    'baseline_from_baseline_ks': ('baseline', 'baseline'),
}
# (f4)'s control: its pretraining ran kS epochs, its fine-tuning k'F
EQUAL_COST_ARM = 'baseline_from_baseline_ks'
ARM_NAMES = {
    'baseline_from_baseline': 'baseline-pretrained, baseline fine-tuning',
    'baseline_from_netaug': 'NetAug-pretrained, baseline fine-tuning',
    'netaug_from_baseline': 'baseline-pretrained, NetAug fine-tuning',
    'netaug_from_netaug': 'NetAug-pretrained, NetAug fine-tuning',
    'netaug_from_kd_netaug': 'KD + NetAug-pretrained, NetAug fine-tuning',
    'scratch': 'from scratch (the ladder\'s twin)',
    EQUAL_COST_ARM: "baseline-pretrained at kS, baseline fine-tuning at k'F",
}

# core-s an epoch of the detector (one thread, measured in the ladder):
# baseline 5.5, NetAug 14.8
DETECTION_COST = {arm: 14.8 if ft == 'netaug' else 5.5
                  for arm, (ft, _) in ARMS.items()}
# name: the pretraining setting whose runs initialise the detectors, the
# detection setting, F (epochs of 512 images; the pilot's first guess
# until it measures the F-to-4F gain), cost by arm (core-s an epoch)
FINETUNE_SETTINGS = {
    # F = 20 from the pilot's 16-epoch pretraining gained +0.089 mAP to 4F
    # (docs/results/pilots/finetune_from_s16.json): far from saturation
    'pasted items, 96 px, from plain items, 32 px': dict(
        pretrain='plain items, 32 px', detection=DETECTION_SETTING,
        widen=0.35, unit=80, cost=DETECTION_COST),
    'pasted items, 96 px, from pasted items 14-40 px, 40 px': dict(
        pretrain='pasted items 14-40 px, 40 px', detection=DETECTION_SETTING,
        widen=0.35, unit=20, cost=DETECTION_COST),
}
NETAUG_ARMS = tuple(a for a, (ft, _) in ARMS.items() if ft == 'netaug')


def owns(setting) -> bool:
    return setting in FINETUNE_SETTINGS


def is_netaug(arm) -> bool:
    return arm in NETAUG_ARMS


def pretraining_run(setting, arm, k=None) -> tuple:
    """(setting, arm, width, epochs) of the pretraining runs an arm starts
    from (None: from scratch); ``k``: the pretraining's cost ratio, for
    the equal-cost control."""
    source = ARMS[arm][1]
    if source is None:
        return None
    s = FINETUNE_SETTINGS[setting]
    pre = pretrain.PRETRAIN_SETTINGS[s['pretrain']]
    unit = pre['study_unit']
    epochs = (cost_matched_epochs(k, unit) if arm == EQUAL_COST_ARM
              else unit)
    return s['pretrain'], source, pre['widen'], epochs


def total_core_seconds(run, pre_results):
    """A fine-tuning run's core-seconds plus its pretraining run's (in
    ``pre_results``, the pretraining study's results; None while that is
    not there)."""
    pretraining = FINETUNE_SETTINGS[run['setting']]['pretrain']
    k = pre_results.get('cost_ratio', {}).get(pretraining)
    source = pretraining_run(run['setting'], run['arm'], k)
    if source is None:
        return run['core_seconds']
    pre = find(pre_results, *source).get(run['seed'])
    return None if pre is None else run['core_seconds'] + pre['core_seconds']


def pretrained_weights(args, setting, arm, seed, k=None):
    """The kept weights a fine-tuning arm starts from (None: scratch): the
    pretraining run of the same seed at its S (kS: the equal-cost
    control); its base network (export)
    for a baseline detector that starts from a NetAug supernet."""
    finetuning, source = ARMS[arm]
    if source is None:
        return None
    if k is None:  # the plan passes it: one read of pretrain.json a plan
        k = pretrain_cost_ratio(args, setting)
    key = key_of(*pretraining_run(setting, arm, k), seed)
    _, weights = pretrain.kept_files(getattr(args, 'kept_dir', None), key)
    if finetuning == 'baseline' and pretrain.is_netaug(source):
        return weights[:-len('.pth')] + '_base.pth'
    return weights


def pretrain_results(args) -> dict:
    """The pretraining study's results: ``pretrain.json`` beside this
    study's results file (``--out``)."""
    out = getattr(args, 'out', None) or osp.join(ROOT, 'docs', 'results',
                                                 'finetune.json')
    return sibling_results(out, 'pretrain.json')


def pretrain_cost_ratio(args, setting):
    """k of the pretraining study this setting starts from (None until
    its NetAug and baseline runs at S have measured it)."""
    s = FINETUNE_SETTINGS[setting]
    return pretrain_results(args).get('cost_ratio', {}).get(s['pretrain'])


def finetune_cost_ratio(results, setting):
    """k': NetAug fine-tuning's core-seconds over the baseline's at F."""
    s = FINETUNE_SETTINGS[setting]
    return cost_ratio(results, setting, s['unit'], s['widen'],
                      arms=('netaug_from_netaug', 'baseline_from_baseline'))


def run_options(args, run) -> tuple:
    s = FINETUNE_SETTINGS[run['setting']]
    det = detection.SETTINGS[s['detection']]
    finetuning, _ = ARMS[run['arm']]
    options = {**det['options'], **detection.model_options(run['widen'],
                                                           det['neck']),
               **detection.schedule_options(run['epochs'],
                                            max(1, run['val_every']),
                                            args.ckpt_every)}
    weights = pretrained_weights(args, run['setting'], run['arm'],
                                 run['seed'])
    if weights is not None:
        # replaces the config's (None, or NetAug's reference init)
        options['model.backbone.init_cfg'] = dict(
            _delete_=True, type='Pretrained', checkpoint=weights,
            prefix='backbone.')
    return detection.CONFIGS[finetuning], options


input_size = detection.input_size
images_per_epoch = detection.images_per_epoch
scores = detection.scores


# ---- plans --------------------------------------------------------------
def pilot_plan(args, results) -> list:
    """The baseline-pretrained baseline at F, 2F and 4F, seed 0."""
    setting = args.settings[0]
    s = FINETUNE_SETTINGS[setting]
    return [dict(setting=setting, arm='baseline_from_baseline',
                 widen=s['widen'], epochs=m * s['unit'], seed=0,
                 val_every=max(1, s['unit'] // 4), phase=0)
            for m in (1, 2, 4)]


def finetune_plan(args, results) -> list:
    setting = args.settings[0]
    s = FINETUNE_SETTINGS[setting]
    unit, widen = s['unit'], s['widen']
    five, three = args.seeds, args.seeds[:3]

    def add(arm, mult, seeds, phase=1):
        return [dict(setting=setting, arm=arm, widen=widen,
                     epochs=round(mult * unit), seed=seed,
                     val_every=max(1, unit // 4), phase=phase)
                for seed in seeds]

    runs = (add('baseline_from_baseline', 1, five, 0) +
            add('netaug_from_netaug', 1, five, 0) +
            add('baseline_from_netaug', 1, three) +
            add('netaug_from_baseline', 1, three) +
            add('netaug_from_kd_netaug', 1, three) +
            add('scratch', 1, three) +
            add('baseline_from_baseline', 4, three))
    k_pre = pretrain_cost_ratio(args, setting)
    k_ft = finetune_cost_ratio(results, setting)
    if k_pre is not None and k_ft is not None:
        runs += add(EQUAL_COST_ARM, k_ft, three)
    for run in runs:  # a worker starts only runs whose weights are kept
        run['needs'] = pretrained_weights(args, setting, run['arm'],
                                          run['seed'], k_pre)
    return runs
