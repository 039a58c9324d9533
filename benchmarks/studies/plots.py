"""PNG plots of the studies' results (matplotlib, no display).

* a pilot: every run's validation curve (mAP or top-1 against epochs), one
  panel per setting, with its core-seconds per epoch in the legend;
* a study: its score against epochs, against core-hours and against
  training MACs, one line per arm (mean over seeds, error bars one std).
"""
import os
import os.path as osp
import statistics

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

from .common import score  # noqa: E402

COLORS = dict(baseline='#444444', netaug='#3b7dd8', wide='#c46b2b',
              teacher='#8c564b', kd='#2ca02c', kd_netaug='#9467bd')
LABELS = dict(baseline='baseline twin', netaug='NetAug',
              wide='wide baseline', teacher='teacher', kd='KD',
              kd_netaug='KD + NetAug')


def _save(fig, png):
    os.makedirs(osp.dirname(png) or '.', exist_ok=True)
    fig.tight_layout()
    fig.savefig(png, dpi=130)
    plt.close(fig)
    return png


def plot_pilot(results, png, settings_order,
               xlabel='epoch (512 images)',
               ylabel='bbox mAP (1000 val images)'):
    settings = [s for s in settings_order
                if any(r['setting'] == s for r in results['runs'].values())]
    if not settings:
        return None
    fig, axes = plt.subplots(1, len(settings),
                             figsize=(4.2 * len(settings), 3.4),
                             squeeze=False)
    for ax, setting in zip(axes[0], settings):
        runs = sorted((r for r in results['runs'].values()
                       if r['setting'] == setting),
                      key=lambda r: (r['arm'], r['epochs']))
        for r in runs:
            epochs = [int(e) for e in r['curve']]
            style = '-' if r['epochs'] == max(
                x['epochs'] for x in runs if x['arm'] == r['arm']) else '--'
            ax.plot(epochs, list(r['curve'].values()), style, marker='.',
                    color=COLORS[r['arm']],
                    label=f'{LABELS[r["arm"]]} x{r["widen"]}, '
                    f'{r["epochs"]} ep '
                    f'({r["core_seconds"] / r["epochs"]:.1f} core-s/ep)')
        ax.set_title(setting, fontsize=8)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6)
    return _save(fig, png)


def _groups(results, setting):
    groups = {}
    for r in results['runs'].values():
        if r['setting'] == setting:
            groups.setdefault((r['arm'], r['widen'], r['epochs']),
                              []).append(r)
    return groups


def plot_ladder(results, png, setting, arms=('baseline', 'wide', 'netaug'),
                epoch_label='epochs (512 images)', ylabel='bbox mAP'):
    groups = _groups(results, setting)
    if not groups:
        return None
    axes_of = (('epochs', lambda r: r['epochs'], epoch_label),
               ('core-hours', lambda r: r['core_seconds'] / 3600,
                'training core-hours (1 thread)'),
               ('MACs', lambda r: r['train_macs'] / 1e12,
                'training TMACs (3 x images x forward)'))
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
    for ax, (_, x_of, label) in zip(axes, axes_of):
        for arm in arms:
            points = sorted(
                (statistics.mean(x_of(r) for r in runs),
                 statistics.mean(score(r) for r in runs),
                 statistics.stdev(score(r) for r in runs)
                 if len(runs) > 1 else 0.0, len(runs))
                for (a, _, _), runs in groups.items() if a == arm)
            if not points:
                continue
            xs, ys, es, ns = zip(*points)
            ax.errorbar(xs, ys, yerr=es, marker='o', capsize=3,
                        color=COLORS[arm], label=LABELS[arm])
            for x, y, n in zip(xs, ys, ns):
                # NetAug above its points, baselines below: at S they meet
                ax.annotate(f'n={n}', (x, y), fontsize=6,
                            textcoords='offset points',
                            xytext=(3, 4 if arm == 'netaug' else -8))
        ax.set_xlabel(label)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.suptitle(setting, fontsize=9)
    return _save(fig, png)


FINETUNE_STYLE = dict(
    baseline_from_baseline=('#444444', 'baseline-pretrained, baseline'),
    baseline_from_netaug=('#7fb2f0', 'NetAug-pretrained, baseline'),
    netaug_from_baseline=('#1f4f99', 'baseline-pretrained, NetAug'),
    netaug_from_netaug=('#3b7dd8', 'NetAug-pretrained, NetAug'),
    netaug_from_kd_netaug=('#9467bd', 'KD + NetAug-pretrained, NetAug'),
    scratch=('#aaaaaa', 'from scratch'),
    baseline_from_baseline_ks=('#c46b2b', "baseline at kS, then k'F"))


def _cost_points(ax, groups, style, hours, ylabel):
    """One line per arm: mean score (error bar: one std over seeds)
    against the mean of ``hours(run)``; ``style``: arm -> (colour,
    label)."""
    drawn = False
    for arm, (color, label) in style.items():
        points = []
        for (a, _, _), runs in groups.items():
            xs = [hours(r) for r in runs]
            if a != arm or None in xs:
                continue
            ys = [score(r) for r in runs]
            points.append((statistics.mean(xs), statistics.mean(ys),
                           statistics.stdev(ys) if len(ys) > 1 else 0.0))
        if points:
            xs, ys, es = zip(*sorted(points))
            ax.errorbar(xs, ys, yerr=es, marker='o', capsize=3,
                        color=color, label=label)
            drawn = True
    if not drawn:
        ax.text(0.5, 0.5, 'not measured yet', ha='center',
                transform=ax.transAxes, color='#888888')
    else:
        ax.legend(fontsize=6)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)


def plot_regimes(png, scratch, pretraining, finetuning, total_hours):
    """The README's figure: both regimes against training core-hours.
    ``scratch``, ``pretraining``, ``finetuning``: (results, setting) of
    the from-scratch ladder, the pretraining study and the fine-tuning
    study; ``total_hours(run)``: a fine-tuning run's core-hours with its
    pretraining's (None when that is not measured)."""
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    panels = (
        (scratch, dict(baseline=(COLORS['baseline'], 'baseline twin'),
                       netaug=(COLORS['netaug'], 'NetAug')),
         lambda r: r['core_seconds'] / 3600, 'bbox mAP',
         'from scratch: detector training core-hours'),
        (pretraining, {arm: (COLORS[arm], LABELS[arm]) for arm in
                       ('baseline', 'netaug', 'kd', 'kd_netaug')},
         lambda r: r['core_seconds'] / 3600, 'top-1 % (test items)',
         'pretraining: classifier core-hours'),
        (finetuning, FINETUNE_STYLE, total_hours, 'bbox mAP',
         'pretrained + fine-tuned: total core-hours'))
    for ax, ((results, setting), style, hours, ylabel, xlabel) in zip(
            axes, panels):
        _cost_points(ax, _groups(results, setting), style, hours, ylabel)
        ax.set_xlabel(xlabel)
        ax.set_title(setting, fontsize=7)
    return _save(fig, png)
