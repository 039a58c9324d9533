"""NetAugHook: the epoch-level NetAug policy and the final export."""
import copy
import os.path as osp
from typing import Optional

from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.runner import Runner

from mmnetaug.registry import HOOKS
from mmnetaug.space import EXPAND, WIDTH, set_base, unwrap
from .bn_calibration import recalibrate_bn
from .ema import check_hook_order, ema_module, permute_like
from .loops import NetAugIterBasedTrainLoop, NetAugLoopMixin

BN_POLICIES = ('freeze_wide', 'recalibrate')


@HOOKS.register_module()
class NetAugHook(Hook):
    """Width schedule, channel sorting, BN statistics and export.

    Args:
        width_stop_fraction (float): fraction of training after which width
            augmentation stops (expand augmentation goes on), as in the
            reference (0.5). 1.0 never stops.
        sort_channels (bool): before each epoch while widths are augmented,
            sort the hidden channels of inverted blocks by importance
            (function-preserving; optimizer state follows). Iteration-based
            loops sort every ``sort_interval`` iterations instead (not at
            iteration 0).
        bn_policy (str): ``'freeze_wide'``: the wide pass normalises with
            batch statistics and does not update the running ones, so they
            stay those of the base network; ``'recalibrate'``: the wide pass
            updates them too (reference) and they are re-estimated at base
            width on ``recalibrate_images`` training images before every
            validation, test and export.
        recalibrate_images (int): images for ``'recalibrate'``.
        export (bool): export the base detector to ``work_dir/<export_dir>``
            after training.
        sort_interval (int, optional): for iteration-based training, sort
            every this many iterations (default: one epoch's worth).

    With mmengine's ``EMAHook`` (YOLOX, RTMDet) the EMA copy follows the
    live model: sorting permutes it alike, it is set to base width for
    validation, test and export, and the export at the end is the EMA
    network (as a stock run deploys it). Its BN statistics are the base
    network's: with ``'freeze_wide'`` it averages (or copies) the live
    model's base-pass statistics; with ``'recalibrate'`` they are
    re-estimated on the EMA weights, which needs EMAHook to run first
    (mmdet's configs give it priority 49).
    """
    priority = 'NORMAL'
    stock_type = None  # dropped from exported configs

    def __init__(self,
                 width_stop_fraction: float = 0.5,
                 sort_channels: bool = True,
                 bn_policy: str = 'freeze_wide',
                 recalibrate_images: int = 1000,
                 export: bool = True,
                 export_dir: str = 'export',
                 sort_interval: Optional[int] = None):
        if not isinstance(width_stop_fraction, (int, float)) or not (
                0.0 <= width_stop_fraction <= 1.0):
            raise ValueError(
                'NetAugHook.width_stop_fraction must be in [0, 1] (0.5 stops '
                'width augmentation half way, 1.0 never), got '
                f'{width_stop_fraction!r}')
        if bn_policy not in BN_POLICIES:
            raise ValueError(f'NetAugHook.bn_policy must be one of '
                             f'{BN_POLICIES}, got {bn_policy!r}')
        if not isinstance(recalibrate_images, int) or recalibrate_images < 1:
            raise ValueError('NetAugHook.recalibrate_images must be a '
                             f'positive int, got {recalibrate_images!r}')
        self.width_stop_fraction = float(width_stop_fraction)
        self.sort_channels = sort_channels
        self.bn_policy = bn_policy
        self.recalibrate_images = recalibrate_images
        self.export = export
        self.export_dir = export_dir
        self.sort_interval = sort_interval
        self._calib_loader = None

    # ---- start-up -------------------------------------------------------
    def before_train(self, runner: Runner) -> None:
        loop = runner.train_loop
        if not isinstance(loop, NetAugLoopMixin):
            raise ValueError(
                'NetAugHook needs a NetAug train loop: set train_cfg.type to '
                "'mmnetaug.NetAugTrainLoop' (or "
                f"'mmnetaug.NetAugIterBasedTrainLoop'), got {type(loop)}")
        loop.freeze_wide_bn = self.bn_policy == 'freeze_wide'
        if self.bn_policy == 'recalibrate':
            check_hook_order(runner, self)
        self._update_policy(runner)

    # ---- schedule -------------------------------------------------------
    def _widths_on(self, runner: Runner) -> bool:
        progress = runner.iter / max(runner.max_iters, 1)
        return progress < self.width_stop_fraction

    def _update_policy(self, runner: Runner) -> bool:
        widths_on = self._widths_on(runner)
        runner.train_loop.sample_kinds = (
            (WIDTH, EXPAND) if widths_on else (EXPAND, ))
        return widths_on

    def before_train_epoch(self, runner: Runner) -> None:
        widths_on = self._update_policy(runner)
        if isinstance(runner.train_loop, NetAugIterBasedTrainLoop):
            # mmengine's iteration loop calls this once per run(), also when
            # resuming: sorting here would add a sort the uninterrupted run
            # never did. Iteration-based runs sort in before_train_iter.
            return
        # Epoch-based: a resumed run re-enters at an epoch boundary with the
        # iteration counter restored, so it sorts (or not) as the
        # uninterrupted run did before that epoch.
        if widths_on and self.sort_channels:
            self._sort(runner)

    def before_train_iter(self, runner, batch_idx, data_batch=None) -> None:
        if not isinstance(runner.train_loop, NetAugIterBasedTrainLoop):
            return  # epoch-based: handled in before_train_epoch
        # sorts at iterations interval, 2 * interval, ... (never at 0: the
        # network has not trained yet), at the same iterations when resumed
        widths_on = self._update_policy(runner)
        interval = self.sort_interval or len(runner.train_dataloader)
        if (widths_on and self.sort_channels and runner.iter > 0
                and runner.iter % interval == 0):
            self._sort(runner)

    def _sort(self, runner: Runner) -> None:
        optimizer = runner.optim_wrapper.optimizer
        model = unwrap(runner.model)
        moved = []
        for module in model.modules():
            sort = getattr(module, 'sort_channels', None)
            if not callable(sort):
                continue
            for param, dim, perm in sort():
                moved.append((param, dim, perm))
                for value in optimizer.state.get(param, {}).values():
                    if hasattr(value, 'shape') and \
                            value.shape == param.shape:
                        value.copy_(value.index_select(dim, perm))
        ema = ema_module(runner)
        if ema is not None:  # the EMA averages by name: keep names aligned
            permute_like(model, ema, moved)

    # ---- BN statistics and export --------------------------------------
    def _calibration_loader(self, runner: Runner):
        if self._calib_loader is None:
            cfg = copy.deepcopy(runner.cfg.train_dataloader)
            cfg['sampler'] = dict(type='DefaultSampler', shuffle=True,
                                  seed=937162211)
            cfg.pop('batch_sampler', None)
            cfg['persistent_workers'] = False
            self._calib_loader = Runner.build_dataloader(
                cfg, seed=937162211)
        return self._calib_loader

    def _base_stats(self, runner: Runner, model=None) -> None:
        """Base width (the EMA copy too) and, for ``'recalibrate'``, BN
        statistics re-estimated on ``model`` (default: the runner's, which
        holds the EMA weights during validation and test)."""
        ema = ema_module(runner)
        for net in (runner.model, ema):
            if net is not None:
                set_base(net)
        if self.bn_policy == 'recalibrate':
            check_hook_order(runner, self)
            n = recalibrate_bn(runner.model if model is None else model,
                               self._calibration_loader(runner),
                               self.recalibrate_images)
            print_log(f'NetAug: re-estimated BN statistics at base width on '
                      f'{n} images', logger='current')

    def before_val_epoch(self, runner: Runner) -> None:
        self._base_stats(runner)

    def before_test_epoch(self, runner: Runner) -> None:
        self._base_stats(runner)

    def after_train(self, runner: Runner) -> None:
        # with EMA, the averaged network is the one evaluated and deployed
        deployed = ema_module(runner)
        if deployed is None:
            deployed = runner.model
        self._base_stats(runner, deployed)
        if not self.export or not is_main_process():
            return
        from mmnetaug.export import export
        out_dir = osp.join(runner.work_dir, self.export_dir)
        result = export(runner.cfg, None, out_dir, model=deployed)
        runner.message_hub.update_info('netaug_export', result)
        print_log(
            f"NetAug: exported the base detector"
            f"{' (EMA weights)' if deployed is not runner.model else ''} "
            f"to {result['config']} and "
            f"{result['checkpoint']} ({result['params']} params, max abs "
            f"diff vs supernet {result['max_abs_diff']:.2e})",
            logger='current')
