"""Run or report an accuracy-against-compute study (benchmarks/studies/).

    # two workers, one thread each, sharing the results file
    OMP_NUM_THREADS=1 python benchmarks/study.py --study pretrain \
        --work-dir /work/pretrain_runs --stop-by 16:50 &
    python benchmarks/study.py --study pretrain --report-only \
        --png-dir docs/results

Studies (``--study``): ``pilot``, ``ladder``, ``variants``, ``yolox``
(from scratch, docs/results/ladder.json), ``pretrain_pilot``, ``pretrain``
(the paper's regime: pretraining, docs/results/pretrain.json) and
``finetune_pilot``, ``finetune`` (detectors fine-tuned from it,
docs/results/finetune.json); what each plans is in ``benchmarks/studies/``.
"""
import argparse
import json
import os
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from mmengine.config import DictAction  # noqa: E402

import mmnetaug  # noqa: E402,F401
from studies import detection, finetune, pretrain  # noqa: E402
from studies.catalog import STUDIES  # noqa: E402
from studies.worker import (check_worker_environment,  # noqa: E402
                            parse_stop_by, work)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--study', choices=tuple(STUDIES), default='pilot')
    parser.add_argument('--settings', nargs='+',
                        choices=tuple(detection.SETTINGS) +
                        tuple(pretrain.PRETRAIN_SETTINGS) +
                        tuple(finetune.FINETUNE_SETTINGS),
                        help="a pilot: the settings to compare; a study: "
                        "the one chosen (default: its first)")
    parser.add_argument('--seeds', type=int, nargs='+',
                        default=[0, 1, 2, 3, 4])
    parser.add_argument('--work-dir', default='work_dirs/studies',
                        help='run folders (checkpoints, progress); for a '
                        'study across sessions put it outside a work tree '
                        'that is cloned anew, e.g. /work/study_runs')
    parser.add_argument('--out', help="results JSON, shared by a study's "
                        'siblings (default: docs/results/ladder.json or '
                        'pretrain.json)')
    parser.add_argument('--ckpt-every', type=int, default=10,
                        help='epochs between checkpoints (resume points)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='applied to every run')
    parser.add_argument('--allow-mixed-versions', action='store_true',
                        help='pair runs made with different versions')
    parser.add_argument('--png-dir', help='also write the plots here')
    parser.add_argument('--unit', type=int,
                        help="override every setting's S (smoke runs)")
    parser.add_argument('--stop-by', metavar='HH:MM',
                        help='start only runs that can finish by then '
                        '(local time), and stop one whose pace says it '
                        'will not: an unfinished run is lost with a '
                        "session's machine")
    parser.add_argument('--wall-factor', type=float, default=1.15,
                        help='wall seconds per estimated core-second, for '
                        '--stop-by (other work on the machine, start-up)')
    parser.add_argument('--kept-dir',
                        help='where runs that later studies start from keep '
                        'their config and weights (default: '
                        'docs/results/pretrained)')
    parser.add_argument('--report-only', action='store_true')
    args = parser.parse_args(argv)
    study = STUDIES[args.study]
    wrong = [s for s in args.settings or [] if s not in study.settings]
    if wrong:
        parser.error(f'--settings {wrong} are not settings of --study '
                     f'{args.study}; choose from {list(study.settings)}')
    args.settings = args.settings or list(study.settings)[:1]
    args.out = osp.abspath(args.out or osp.join(ROOT, 'docs', 'results',
                                                study.results))
    args.work_dir = osp.abspath(args.work_dir)
    return args


def set_unit(unit: int) -> None:
    """Every setting's S (and the ladder's) to ``unit`` epochs."""
    for s in detection.SETTINGS.values():
        s['unit'] = s['ladder_unit'] = unit
    for s in detection.PAIRS.values():
        s['ladder_unit'] = unit
    for s in pretrain.PRETRAIN_SETTINGS.values():
        s['unit'] = s['study_unit'] = unit
    for s in finetune.FINETUNE_SETTINGS.values():
        s['unit'] = unit


def main(argv=None):
    args = parse_args(argv)
    study = STUDIES[args.study]
    if args.unit:
        set_unit(args.unit)
    os.chdir(ROOT)
    args.deadline = parse_stop_by(args.stop_by)
    if not args.report_only:
        if not study.pilot:
            check_worker_environment(args,
                                     (study.plan, ) + study.paired_with)
        work(args, study.plan)
    with open(args.out) as f:
        results = json.load(f)
    results['allow_mixed_versions'] = args.allow_mixed_versions
    print(study.report(args, results))
    if args.png_dir and study.plots:
        print('\n'.join(p for p in study.plots(args, results) if p))


if __name__ == '__main__':
    main()
