"""PNG plots of ``benchmarks/accuracy.py`` results (matplotlib, no display).

``plot_all(results, out_dir, comparison, convergence_rows)`` takes the
statistics functions from the caller (no import of accuracy.py, so the two
modules do not import each other) and returns the paths it wrote: baseline
convergence, NetAug and its three controls over seeds, and every setting's
paired difference against each control.
"""
import os
import os.path as osp

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

ORDER = ('baseline', 'baseline_time', 'netaug_w0', 'netaug')
LABELS = dict(baseline='baseline\ntwin', baseline_time='baseline,\nNetAug '
              'time', netaug_w0='supernet,\nno wide grad', netaug='NetAug')
COLORS = dict(baseline='#444444', baseline_time='#8c6d31',
              netaug_w0='#999999', netaug='#3b7dd8')


def plot_convergence(results, png, convergence_rows):
    rows = convergence_rows(results, results['settings'])
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(4.5, 3.2))
    for i, r in enumerate(rows):
        ax.errorbar(i, r['map'][0], yerr=r['map'][1], marker='o', capsize=4,
                    color='#444444')
        ax.annotate(f'{r["map"][0]:.3f}', (i + 0.08, r['map'][0]),
                    va='center', fontsize=8)
    ax.set_xticks(range(len(rows)),
                  [f'{r["name"]}\n{r["epochs"]} ep' for r in rows])
    ax.set_xlim(-0.5, len(rows) - 0.3)
    ax.set_ylabel('COCO bbox mAP (val)')
    ax.set_title('Baseline twin: longer schedule, wider model', fontsize=9)
    ax.grid(alpha=0.3, axis='y')
    return _save(fig, png)


def plot_seeds(results, png):
    s = results['settings']
    by_arm = {}
    for run in results['runs'].values():
        if run['widen'] == s['widen'] and run['variant'] == 'default' and (
                run['arm'] == 'baseline_time'
                or run['epochs'] == s['epochs']):
            by_arm.setdefault(run['arm'], {})[run['seed']] = run
    arms = [a for a in ORDER if a in by_arm]
    if 'netaug' not in arms or len(arms) < 2:
        return None
    seeds = sorted(set.intersection(*(set(by_arm[a]) for a in arms)))
    if not seeds:
        return None
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    for seed in seeds:
        ax.plot(range(len(arms)), [by_arm[a][seed]['bbox_mAP'] for a in arms],
                color='#bbbbbb', marker='o', lw=1, ms=3)
    for i, arm in enumerate(arms):
        values = [by_arm[arm][seed]['bbox_mAP'] for seed in seeds]
        mean = sum(values) / len(values)
        ax.hlines(mean, i - 0.18, i + 0.18, color=COLORS[arm], lw=3)
        ax.annotate(f'{mean:.3f}', (i + 0.2, mean), va='center', fontsize=8)
    ax.set_xticks(range(len(arms)), [LABELS[a] for a in arms], fontsize=8)
    ax.set_xlim(-0.5, len(arms) - 0.2)
    ax.set_ylabel('COCO bbox mAP (val)')
    ax.set_title(f'x{s["widen"]}, {s["epochs"]} epochs, paired over seeds '
                 f'{seeds}', fontsize=9)
    return _save(fig, png)


def plot_differences(results, png, comparison):
    s = results['settings']
    settings = []
    for run in results['runs'].values():
        if run['arm'] == 'netaug':
            item = (run['widen'], run['variant'])
            if item not in settings:
                settings.append(item)
    rows = [comparison(results, w, v, s['epochs']) for w, v in settings]
    rows = [r for r in rows if r['n']]
    if not rows:
        return None
    controls = ('baseline', 'netaug_w0', 'baseline_time')
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(rows) + 1.6))
    height = 0.26
    for j, control in enumerate(controls):
        ys = [i + (j - 1) * height for i in range(len(rows))]
        means = [r['diffs'][control]['mean'] for r in rows]
        stds = [r['diffs'][control]['std'] for r in rows]
        ax.barh(ys, means, height, xerr=stds, capsize=2,
                color=COLORS[control],
                label='NetAug - ' + LABELS[control].replace('\n', ' '))
    ax.set_yticks(range(len(rows)),
                  [f'x{r["widen"]}, {r["variant"]} (n={r["n"]})'
                   for r in rows], fontsize=7)
    ax.invert_yaxis()
    ax.axvline(0, color='k', lw=0.8)
    ax.set_xlabel('paired mAP difference (mean +/- std over seeds)')
    ax.legend(fontsize=7, loc='center left', bbox_to_anchor=(1.01, 0.5))
    ax.set_title('NetAug against each control', fontsize=9)
    return _save(fig, png)


def _save(fig, png):
    fig.tight_layout()
    os.makedirs(osp.dirname(png) or '.', exist_ok=True)
    fig.savefig(png, dpi=120)
    plt.close(fig)
    return png


def plot_all(results, out_dir, comparison, convergence_rows):
    mode = results['settings']['mode']
    stem = osp.join(out_dir, f'accuracy_{mode}')
    written = [
        plot_convergence(results, f'{stem}_convergence.png',
                         convergence_rows),
        plot_seeds(results, f'{stem}_seeds.png'),
        plot_differences(results, f'{stem}_controls.png', comparison),
    ]
    return [p for p in written if p]
