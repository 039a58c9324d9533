"""What every study shares: the results file (locked, one JSON for many
workers), run keys and folders, worker claims, and small statistics."""
import contextlib
import fcntl
import json
import os
import os.path as osp
import statistics

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@contextlib.contextmanager
def locked_results(path):
    """The results JSON, read and written back under an exclusive lock."""
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    with open(path + '.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        results = dict(runs={})
        if osp.exists(path):
            with open(path) as f:
                results = json.load(f)
        yield results
        tmp = path + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(results, f, indent=1)
        os.replace(tmp, path)


def sibling_results(out, name) -> dict:
    """Another study's results file beside ``out`` (``--out``), read
    only; empty while there is none."""
    path = osp.join(osp.dirname(out), name)
    if not osp.exists(path):
        return dict(runs={})
    with open(path) as f:
        return json.load(f)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def boot_id() -> str:
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
        return alive(claim)
    pid, boot = claim
    return boot == boot_id() and alive(pid)


def mean_std(values):
    values = list(values)
    if not values:
        return float('nan'), float('nan')
    # one value has no spread: nan, printed as no "+/-" at all
    std = statistics.stdev(values) if len(values) > 1 else float('nan')
    return statistics.mean(values), std


def pm(ms, sign='', digits=3):
    """``mean +/- std`` (just the mean for one value, '-' for none)."""
    mean, std = ms
    if mean != mean:
        return '-'
    if std != std:
        return f'{mean:{sign}.{digits}f}'
    return f'{mean:{sign}.{digits}f} +/- {std:.{digits}f}'


def key_of(setting, arm, widen, epochs, seed) -> str:
    return f'{setting}|{arm}|w{widen}|e{epochs}|s{seed}'


def safe(key):
    return ''.join(c if c.isalnum() or c in '.-' else '_' for c in key)


def work_dir_of(work_dir, key):
    return osp.join(work_dir, safe(key))


def find(results, setting, arm, widen, epochs):
    """The finished runs of one arm, width and schedule, by seed."""
    return {r['seed']: r for r in results['runs'].values()
            if r['setting'] == setting and r['arm'] == arm
            and r['widen'] == widen and r['epochs'] == epochs}


def score(run) -> float:
    """A finished run's result: top-1 (%) or bbox mAP."""
    return run['top1'] if 'top1' in run else run['bbox_mAP']


def cost_matched_epochs(k, unit) -> int:
    """The baseline's epochs at NetAug's core-seconds, kS; 4S where kS is
    within 5% of it: the 4S runs then serve as the equal-cost control (they
    cost at most 5% more than NetAug, in the control's favour), which saves
    three runs of the same length."""
    epochs = round(k * unit)
    return 4 * unit if abs(epochs - 4 * unit) <= 0.05 * 4 * unit else epochs


def cost_ratio(results, setting, unit, widen,
               arms=('netaug', 'baseline')) -> float:
    """NetAug's core-seconds over the baseline's at S (``arms``: their
    names), fixed once from the first seeds with both (so every seed gets
    the same kS)."""
    fixed = results.setdefault('cost_ratio', {})
    if setting in fixed:
        return fixed[setting]
    na = find(results, setting, arms[0], widen, unit)
    ba = find(results, setting, arms[1], widen, unit)
    seeds = [k for k in na if k in ba]
    if not seeds:
        return None
    fixed[setting] = (statistics.mean(na[k]['core_seconds'] for k in seeds) /
                      statistics.mean(ba[k]['core_seconds'] for k in seeds))
    return fixed[setting]
