"""PNG plots of ``benchmarks/accuracy.py`` results (matplotlib, no display).

One figure per study that has runs: paired seeds, mAP vs MACs over widths,
ablation deltas. ``plot_all`` returns the paths it wrote.
"""
import os
import os.path as osp
import statistics

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

from accuracy import (BASE_WIDTH, _paired, _runs, ablation_rows,  # noqa
                      width_rows)

COLORS = dict(baseline='#444444', netaug='#3b7dd8')


def _mean(runs, key='bbox_mAP'):
    return statistics.mean(r[key] for r in runs)


def plot_seeds(results, png):
    seeds = results['settings']['seeds']
    na = _runs(results, 'netaug', BASE_WIDTH, 'default', seeds)
    ba = _runs(results, 'baseline', BASE_WIDTH, 'default', seeds)
    if not (na and ba):
        return None
    fig, ax = plt.subplots(figsize=(4.5, 3.2))
    for b, n in zip(ba, na):
        ax.plot([0, 1], [b['bbox_mAP'], n['bbox_mAP']], color='#999999',
                marker='o', lw=1, ms=4)
    for i, (name, runs) in enumerate((('baseline', ba), ('netaug', na))):
        mean = _mean(runs)
        ax.hlines(mean, i - 0.15, i + 0.15, color=COLORS[name], lw=3)
        ax.annotate(f'{mean:.3f}', (i + 0.18, mean), va='center', fontsize=8)
    ax.set_xticks([0, 1], ['baseline twin', 'NetAug'])
    ax.set_xlim(-0.5, 1.6)
    ax.set_ylabel('COCO bbox mAP (val)')
    ax.set_title(f'x{BASE_WIDTH}, paired over {len(na)} seeds', fontsize=9)
    return _save(fig, png)


def plot_widths(results, png):
    rows = width_rows(results)
    if len(rows) < 2:
        return None
    fig, ax = plt.subplots(figsize=(5, 3.5))
    macs = [r['macs'] / 1e6 for r in rows]
    for method, label in (('baseline', 'baseline twin'),
                          ('netaug', 'NetAug')):
        ax.errorbar(macs, [r[method][0] for r in rows],
                    yerr=[r[method][1] for r in rows], marker='o',
                    capsize=3, color=COLORS[method], label=label)
    for x, r in zip(macs, rows):
        ax.annotate(f'x{r["widen"]}', (x, r['baseline'][0]),
                    textcoords='offset points', xytext=(4, -10), fontsize=7)
    ax.set_xscale('log')
    ax.set_xticks(macs, [f'{m:.0f}M' for m in macs])
    ax.minorticks_off()
    ax.set_xlabel(f'MACs of the deployed detector at '
                  f'{results["settings"]["size"]} px')
    ax.set_ylabel('COCO bbox mAP (val)')
    seeds = sorted({s for r in rows for s in r['seeds']})
    ax.set_title(f'YOLOv3 + MobileNetV2, widen factors (mean +/- std, '
                 f'seeds {seeds})', fontsize=9)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return _save(fig, png)


def plot_ablations(results, png):
    ablations = ablation_rows(results)
    if not ablations:
        return None
    rows = [(r['name'], r['diff']) for r in ablations]
    seeds = sorted({s for r in ablations for s in r['seeds']})
    base, ref = _paired(results, 'baseline', BASE_WIDTH, 'default', 'netaug',
                        'default')
    base = [b for b in base if b['seed'] in seeds]
    ref = [r for r in ref if r['seed'] in seeds]
    if base:
        rows.append(('no NetAug (baseline twin)',
                     _mean(base) - _mean(ref)))
    names, deltas = zip(*rows)
    fig, ax = plt.subplots(figsize=(5.5, 0.32 * len(rows) + 1.4))
    spread = _runs(results, 'netaug', BASE_WIDTH, 'default',
                   results['settings']['seeds'])
    if len(spread) > 1:  # how much the default alone moves across seeds
        std = statistics.stdev(r['bbox_mAP'] for r in spread)
        ax.axvspan(-std, std, color='#dddddd',
                   label=f'+/- 1 std of default NetAug over '
                   f'{len(spread)} seeds')
        ax.legend(fontsize=7, loc='upper left')
    ax.barh(range(len(rows)), deltas,
            color=['#c0504d' if d < 0 else '#3b7dd8' for d in deltas])
    ax.set_yticks(range(len(rows)), names, fontsize=8)
    ax.invert_yaxis()
    ax.axvline(0, color='k', lw=0.8)
    ax.set_xlabel('mAP change vs default NetAug on the same seeds')
    ax.set_title(f'Ablations, x{BASE_WIDTH}, seeds {seeds}', fontsize=9)
    return _save(fig, png)


def _save(fig, png):
    fig.tight_layout()
    os.makedirs(osp.dirname(png) or '.', exist_ok=True)
    fig.savefig(png, dpi=120)
    plt.close(fig)
    return png


def plot_all(results, out_dir):
    mode = results['settings']['mode']
    written = [
        plot_seeds(results, osp.join(out_dir, f'accuracy_{mode}_seeds.png')),
        plot_widths(results, osp.join(out_dir,
                                      f'accuracy_{mode}_widths.png')),
        plot_ablations(results, osp.join(out_dir,
                                         f'accuracy_{mode}_ablations.png')),
    ]
    return [p for p in written if p]
