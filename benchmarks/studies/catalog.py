"""The studies by name: what each plans, where its results go, how it
reports and plots them."""
import os.path as osp
from typing import Callable, NamedTuple, Tuple

from . import detection, finetune, pretrain, report
from .common import key_of, sibling_results


class Study(NamedTuple):
    plan: Callable  # (args, results) -> planned runs
    results: str  # file name in docs/results/
    settings: dict  # the settings --settings chooses from
    report: Callable  # (args, results) -> text
    plots: Callable = None  # (args, results) -> written PNG paths
    pilot: bool = False  # its runs are not paired: no version check
    paired_with: Tuple[Callable, ...] = ()  # other plans its runs pair with


def _running(args, results, plan, **kwargs):
    """Table lines of a pilot's planned runs that have not finished."""
    todo = [dict(r, key=key_of(r['setting'], r['arm'], r['widen'],
                               r['epochs'], r['seed']))
            for r in plan(args, results)]
    return report.unfinished(
        args.work_dir, [r for r in todo if r['key'] not in results['runs']],
        **kwargs)


def _pilot_report(args, results):
    return report.pilot_report(results, _running(args, results,
                                                 detection.pilot_plan))


def _pretrain_pilot_report(args, results):
    return report.pretrain_pilot_report(results, _running(
        args, results, pretrain.pilot_plan, train_top1=True))


def _detection_plots(png=None, setting=None):
    def plots(args, results):
        from .plots import plot_ladder, plot_pilot
        first = args.settings[0]
        written = [plot_pilot(report.pilot_runs_only(results, first),
                              osp.join(args.png_dir, 'ladder_pilot.png'),
                              list(detection.SETTINGS))]
        if png:
            name = setting or first
            written.append(plot_ladder(
                report.ladder_runs_only(results, name),
                osp.join(args.png_dir, png), name))
        return written
    return plots


def _pretrain_plots(args, results):
    from .plots import plot_ladder, plot_pilot
    written = [plot_pilot(report.pretrain_pilot_runs(results),
                          osp.join(args.png_dir, 'pretrain_pilot.png'),
                          list(pretrain.PRETRAIN_SETTINGS),
                          xlabel='epoch (60,000 items)',
                          ylabel='top-1 % (10,000 test items)')]
    written.append(plot_ladder(
        results, osp.join(args.png_dir, 'pretrain.png'), args.settings[0],
        arms=('baseline', 'wide', 'netaug', 'kd', 'kd_netaug'),
        epoch_label='epochs (60,000 items)', ylabel='top-1 %'))
    return written


def _regimes_plot(args, results):
    """The README's figure: from scratch (the ladder), pretraining, and
    pretrained + fine-tuned, against training core-hours."""
    from .plots import plot_regimes
    setting = args.settings[0]
    spec = finetune.FINETUNE_SETTINGS[setting]
    ladder = sibling_results(args.out, 'ladder.json')
    pre = finetune.pretrain_results(args)

    def total_hours(run):
        seconds = finetune.total_core_seconds(run, pre)
        return None if seconds is None else seconds / 3600

    scratch = spec['detection']
    return [plot_regimes(
        osp.join(args.png_dir, 'regimes.png'),
        (report.ladder_runs_only(ladder, scratch), scratch),
        (pre, spec['pretrain']), (results, setting), total_hours)]


STUDIES = dict(
    pilot=Study(detection.pilot_plan, 'ladder.json', detection.SETTINGS,
                _pilot_report, _detection_plots(), pilot=True),
    ladder=Study(detection.ladder_plan, 'ladder.json', detection.SETTINGS,
                 lambda a, r: report.ladder_report(r, a.settings[0]),
                 _detection_plots('ladder.png')),
    variants=Study(detection.variants_plan, 'ladder.json',
                   detection.SETTINGS,
                   lambda a, r: report.variants_report(r, a.settings[0]),
                   _detection_plots(),
                   paired_with=(detection.ladder_plan, )),
    yolox=Study(detection.yolox_plan, 'ladder.json', detection.SETTINGS,
                lambda a, r: report.ladder_report(r, detection.YOLOX_PAIR),
                _detection_plots('ladder_yolox.png', detection.YOLOX_PAIR)),
    pretrain_pilot=Study(pretrain.pilot_plan, 'pretrain.json',
                         pretrain.PRETRAIN_SETTINGS,
                         _pretrain_pilot_report,
                         _pretrain_plots, pilot=True),
    pretrain=Study(pretrain.pretrain_plan, 'pretrain.json',
                   pretrain.PRETRAIN_SETTINGS,
                   lambda a, r: report.pretrain_report(r, a.settings[0]),
                   _pretrain_plots),
    finetune_pilot=Study(
        finetune.pilot_plan, 'finetune.json', finetune.FINETUNE_SETTINGS,
        lambda a, r: report.finetune_pilot_report(r, a.settings[0]),
        pilot=True),
    finetune=Study(finetune.finetune_plan, 'finetune.json',
                   finetune.FINETUNE_SETTINGS,
                   lambda a, r: report.finetune_report(
                       r, a.settings[0], finetune.pretrain_results(a)),
                   _regimes_plot),
)
