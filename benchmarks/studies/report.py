"""Reports of the studies: tables of runs and paired comparisons, as the
README and docs/results/README.md quote them."""
import json
import os.path as osp
import statistics

from mmnetaug.utils.run_env import check_pairable
from . import detection, finetune, pretrain
from .common import cost_matched_epochs, find, mean_std, pm, safe, score
from .worker import setting_spec

ARM_NAMES = dict(**detection.ARM_NAMES, **pretrain.ARM_NAMES,
                 **finetune.ARM_NAMES)


def unfinished(work_dir, runs, train_top1=False) -> list:
    """Lines for planned runs not finished yet: epochs done and the curve
    so far, from their progress files (and, for a classifier, its last
    epoch's training top-1)."""
    lines = []
    for run in runs:
        path = osp.join(work_dir, safe(run['key']), 'progress.json')
        if not osp.exists(path):
            continue
        with open(path) as f:
            p = json.load(f)
        done = max(map(int, p['epochs']), default=0)
        if not done:
            continue
        cpu = p['epochs'][str(done)]['cpu']
        curve = ', '.join(f'{e}: {v.get("bbox_mAP", v.get("top1")):.3f}'
                          for e, v in sorted(p['val'].items(),
                                             key=lambda x: int(x[0])))
        train = (f' {p["epochs"][str(done)].get("train_top1", 0.0):.2f} |'
                 if train_top1 else '')
        status = f'running: {done} of {run["epochs"]} epochs'
        lines.append(f'| {run["setting"]} | {ARM_NAMES[run["arm"]]} '
                     f'x{run["widen"]} ({status}) | {run["epochs"]} | - | '
                     f'{curve} |{train} {cpu / done:.1f} |')
    return lines


def pilot_report(results, running=()) -> str:
    lines = ['| setting | run | epochs | mAP | curve (epoch: mAP) | '
             'core-s / epoch |', '| --- ' * 6 + '|']
    verdicts = []
    # the detection pilot's settings (the YOLOX pair shares the file)
    settings = [s for s in detection.SETTINGS
                if any(r['setting'] == s for r in results['runs'].values())]
    for setting in settings:
        s = detection.SETTINGS[setting]
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
            hours = detection.LADDER_COST_UNITS * unit * t / 3600
            parts.append(f'ladder ~{hours:.0f} '
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
    epochs = {unit, 2 * unit, 4 * unit} | (
        {cost_matched_epochs(k, unit)} if k else set())
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


def paired_report(results, setting, unit, comparisons, metric='mAP',
                  digits=3, arms=None) -> str:
    """Every group (arm, width, schedule) of a setting with its seeds,
    score, core-hours and training MACs, then each comparison ``(name,
    (arm, width, epochs), (arm, width, epochs))`` as the mean +/- std of
    the paired differences over the seeds both have, with wins."""
    allow = results.get('allow_mixed_versions', False)
    rows = [f'| arm | epochs | seeds | {metric} | core-hours | '
            'training MACs |', '| --- ' * 6 + '|']
    groups = {}
    for r in results['runs'].values():
        if r['setting'] == setting and (arms is None or r['arm'] in arms):
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
            f'{pm(mean_std(score(r) for r in runs.values()), "", digits)} | '
            f'{hours:.2f} | {macs:.3g} |')
    lines = rows + ['']
    for name, a_key, b_key in comparisons:
        a, b = groups.get(a_key, {}), groups.get(b_key, {})
        seeds = sorted(set(a) & set(b))
        if not seeds:
            continue
        check_pairable([a[k] for k in seeds] + [b[k] for k in seeds], name,
                       allow)
        d = [score(a[k]) - score(b[k]) for k in seeds]
        lines.append(f'- {name}: {pm(mean_std(d), "+", digits)} '
                     f'({ARM_NAMES[a_key[0]]} wins '
                     f'{sum(x > 0 for x in d)}/{len(d)})')
    return '\n'.join(lines)


def ladder_report(results, setting) -> str:
    s = setting_spec(setting)
    unit, tiny = s['ladder_unit'], s['widen']
    k = results.get('cost_ratio', {}).get(setting)
    net, base = ('netaug', tiny), ('baseline', tiny)
    comparisons = [('(a) NetAug S - baseline S', (*net, unit),
                    (*base, unit))]
    if k:
        comparisons.append((f'(b) NetAug S - baseline kS (k={k:.2f})',
                            (*net, unit),
                            (*base, cost_matched_epochs(k, unit))))
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
    arms = {a for a in ARM_NAMES if a not in detection.VARIANTS}
    return paired_report(ladder_runs_only(results, setting), setting, unit,
                         comparisons, arms=arms)


def pretrain_report(results, setting) -> str:
    """(p1)-(p4) of the pretraining study, in top-1 points."""
    s = pretrain.PRETRAIN_SETTINGS[setting]
    unit, tiny = s['study_unit'], s['widen']
    k = results.get('cost_ratio', {}).get(setting)
    at_s = {arm: (arm, tiny, unit)
            for arm in ('baseline', 'netaug', 'kd', 'kd_netaug')}
    comparisons = [('(p1) NetAug - baseline', at_s['netaug'],
                    at_s['baseline']),
                   ('(p2) NetAug - baseline 4S', at_s['netaug'],
                    ('baseline', tiny, 4 * unit))]
    if k:
        k_epochs = cost_matched_epochs(k, unit)
        same = ', the 4S runs' if k_epochs == 4 * unit else ''
        comparisons.append((f'(p3) NetAug - baseline kS (k={k:.2f}{same})',
                            at_s['netaug'], ('baseline', tiny, k_epochs)))
    comparisons += [
        ('(p4) KD - baseline', at_s['kd'], at_s['baseline']),
        ('(p4) KD + NetAug - baseline', at_s['kd_netaug'], at_s['baseline']),
        ('(p4) KD + NetAug - KD', at_s['kd_netaug'], at_s['kd']),
        ('(p4) KD + NetAug - NetAug', at_s['kd_netaug'], at_s['netaug']),
        ('(p4) KD - NetAug', at_s['kd'], at_s['netaug']),
        (f'capacity: wide x{s["wide"]} - baseline', ('wide', s['wide'], unit),
         at_s['baseline']),
        ('convergence: baseline 4S - baseline S', ('baseline', tiny,
                                                   4 * unit),
         at_s['baseline'])]
    return paired_report(results, setting, unit, comparisons,
                         metric='top-1 (%)', digits=2)


def variants_report(results, setting) -> str:
    """Each NetAug variant at S against the baseline twin and plain NetAug
    at S, paired over the seeds both have."""
    s = detection.SETTINGS[setting]
    unit, tiny = s['ladder_unit'], s['widen']
    allow = results.get('allow_mixed_versions', False)
    base = find(results, setting, 'baseline', tiny, unit)
    plain = find(results, setting, 'netaug', tiny, unit)
    lines = [f'| NetAug at S ({unit} epochs) | seeds | mAP | core-hours | '
             '- baseline S (NetAug wins) | - NetAug S (variant wins) |',
             '| --- ' * 6 + '|']
    for arm in ('netaug', *detection.VARIANTS):
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
            d = [score(runs[k]) - score(other[k]) for k in seeds]
            cells.append(f'{pm(mean_std(d), "+")} '
                         f'({sum(x > 0 for x in d)}/{len(d)})')
        hours = statistics.mean(r['core_seconds']
                                for r in runs.values()) / 3600
        lines.append(
            f'| {ARM_NAMES[arm]} | {sorted(runs)} | '
            f'{pm(mean_std(score(r) for r in runs.values()))} | '
            f'{hours:.2f} | {cells[0]} | {cells[1]} |')
    return '\n'.join(lines)


def pretrain_pilot_runs(results) -> dict:
    """``results`` with the pretraining pilot's runs only (seed 0, the
    baselines at S, 2S, 4S and the wide one at S, 2S), not the study's at
    the same schedules."""
    def pilot(r):
        s = pretrain.PRETRAIN_SETTINGS.get(r['setting'])
        return s is not None and r['seed'] == 0 and any(
            (r['arm'], r['epochs']) == (arm, m * s['unit'])
            for arm, m in (('baseline', 1), ('baseline', 2),
                           ('baseline', 4), ('wide', 1), ('wide', 2)))
    return dict(results, runs={k: r for k, r in results['runs'].items()
                               if pilot(r)})


def pretrain_pilot_report(results, running=()) -> str:
    lines = ['| setting | run | epochs | top-1 (%) | curve (epoch: top-1) | '
             'train top-1 at the end | core-s / epoch |',
             '| --- ' * 7 + '|']
    verdicts = []
    results = pretrain_pilot_runs(results)
    for setting, s in pretrain.PRETRAIN_SETTINGS.items():
        unit = s['unit']
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
        for m, name in ((1, 'S'), (2, '2S')):
            tiny = {k: find(results, setting, 'baseline', s['widen'],
                            k * m * unit).get(0) for k in (1, 2)}
            wide = find(results, setting, 'wide', s['wide'],
                        m * unit).get(0)
            parts = []
            if tiny[1] and tiny[2]:
                gain = tiny[2]['top1'] - tiny[1]['top1']
                verdict = ('converged' if gain < pretrain.CONVERGED_GAIN
                           else 'not converged')
                parts.append(f'tiny {name}->{2 * m}S {gain:+.2f} points '
                             f'({verdict} at {name})')
            if tiny[1] and wide:
                gap = wide['top1'] - tiny[1]['top1']
                ends = str(m * unit)
                train = [r['train_top1'][ends] for r in (wide, tiny[1])]
                limited = gap >= 1.0 and train[0] > train[1]
                parts.append(f'wide - tiny at {name} {gap:+.2f} points, '
                             f'train top-1 {train[0] - train[1]:+.2f} '
                             f'({"capacity-limited" if limited else "not"})')
            if parts:
                verdicts.append(f'- {setting}, S = {unit} epochs: ' +
                                '; '.join(parts))
    return '\n'.join(lines + list(running) + [''] + verdicts)


def finetune_pilot_report(results, setting) -> str:
    """The baseline-pretrained baseline at F, 2F and 4F: is F near
    saturation (F to 4F gains at most 0.02 mAP)?"""
    unit = finetune.FINETUNE_SETTINGS[setting]['unit']
    runs = {m: find(results, setting, 'baseline_from_baseline', 0.35,
                    m * unit).get(0) for m in (1, 2, 4)}
    lines = ['| epochs | mAP | curve (epoch: mAP) | core-s / epoch |',
             '| --- ' * 4 + '|']
    for m, run in runs.items():
        if run:
            curve = ', '.join(f'{e}: {v:.3f}'
                              for e, v in run['curve'].items())
            lines.append(f'| {run["epochs"]} ({m}F) | {score(run):.3f} | '
                         f'{curve} | '
                         f'{run["core_seconds"] / run["epochs"]:.1f} |')
    if runs[1] and runs[4]:
        gain = score(runs[4]) - score(runs[1])
        lines += ['', f'- F = {unit} epochs: F->4F {gain:+.3f} mAP '
                  f'({"near saturation" if gain <= 0.02 else "not yet"})']
    return '\n'.join(lines)


def total_core_hours(results, pre_results, setting) -> dict:
    """(arm, width, epochs) -> mean core-hours of pretraining plus
    fine-tuning over the seeds whose pretraining run is in
    ``pre_results`` (from scratch: fine-tuning alone)."""
    groups = {}
    for r in results['runs'].values():
        if r['setting'] != setting:
            continue
        total = finetune.total_core_seconds(r, pre_results)
        if total is not None:
            groups.setdefault((r['arm'], r['widen'], r['epochs']),
                              []).append(total)
    return {g: statistics.mean(v) / 3600 for g, v in groups.items()}


def _best_group(results, setting, keep, every_group=False) -> tuple:
    """The (arm, width, epochs) group, 3 seeds or more, with the highest
    mean mAP among the runs of ``setting`` that ``keep(run, group)``
    (``every_group``: None until every kept group has 3 seeds, so that
    the pick is not made among the arms that happen to have finished)."""
    groups = {}
    for r in results['runs'].values():
        g = (r['arm'], r['widen'], r['epochs'])
        if r['setting'] == setting and keep(r, g):
            groups.setdefault(g, []).append(score(r))
    if every_group and any(len(v) < 3 for v in groups.values()):
        return None
    ranked = sorted((statistics.mean(v), g) for g, v in groups.items()
                    if len(v) >= 3)
    return ranked[-1][1] if ranked else None


def finetune_report(results, setting, pre_results=None) -> str:
    """(f1)-(f4) of the fine-tuning study. The table's core-hours are the
    fine-tuning's; (f4) weighs each arm by pretraining plus fine-tuning
    (``pre_results``: the pretraining study's results)."""
    unit = finetune.FINETUNE_SETTINGS[setting]['unit']
    pre_results = pre_results or dict(runs={})

    def at(arm, mult=1):
        return (arm, 0.35, round(mult * unit))

    base = at('baseline_from_baseline')
    comparisons = [
        ('(f1) NetAug pretraining alone', at('baseline_from_netaug'), base),
        ('(f2) NetAug fine-tuning alone', at('netaug_from_baseline'), base),
        ('(f3) both - baseline F', at('netaug_from_netaug'), base),
        ('(f3) both - baseline 4F', at('netaug_from_netaug'),
         at('baseline_from_baseline', 4)),
        ('KD + NetAug-pretrained, NetAug fine-tuning - baseline F',
         at('netaug_from_kd_netaug'), base),
        ('pretraining: baseline-pretrained - from scratch', base,
         at('scratch'))]
    totals = total_core_hours(results, pre_results, setting)
    control = [g for g in totals if g[0] == finetune.EQUAL_COST_ARM]
    best = _best_group(results, setting, lambda r, g: r['epochs'] == unit
                       and r['arm'] not in ('scratch',
                                            finetune.EQUAL_COST_ARM),
                       every_group=True)
    if control and best:
        comparisons.append((f'(f4) best arm ({ARM_NAMES[best[0]]}) - '
                            'baseline at equal total core-hours', best,
                            control[0]))
    # The control splits its budget as NetAug does; where fine-tuning epochs
    # buy more, a cheaper baseline schedule can beat it: say so too.
    cheaper = best in totals and _best_group(
        results, setting, lambda r, g: r['arm'] == 'baseline_from_baseline'
        and totals.get(g, float('inf')) <= totals[best])
    if cheaper and cheaper != best:
        comparisons.append((f'(f4) best arm ({ARM_NAMES[best[0]]}) - best '
                            f'baseline costing no more ({cheaper[2]} '
                            'fine-tuning epochs)', best, cheaper))
    text = paired_report(results, setting, unit, comparisons)
    if totals:
        text += ('\n\nTotal core-hours (pretraining + fine-tuning): ' +
                 '; '.join(f'{ARM_NAMES[g[0]]} at {g[2]} epochs '
                           f'{hours:.2f}'
                           for g, hours in sorted(totals.items())))
    return text
