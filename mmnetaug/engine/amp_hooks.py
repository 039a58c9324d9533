"""Count the optimizer steps that AMP skips (inf/nan gradients)."""
from typing import Optional

from mmengine.hooks import Hook

from mmnetaug.registry import HOOKS


def loss_scale(optim_wrapper) -> Optional[float]:
    """The dynamic loss scale of an ``AmpOptimWrapper``; None without one."""
    scaler = getattr(optim_wrapper, 'loss_scaler', None)
    if scaler is None or not scaler.is_enabled():
        return None
    return float(scaler.get_scale())


def step_was_skipped(scale_before: float, scale_after: float) -> bool:
    """A dynamic scaler that finds inf/nan gradients skips the step and
    lowers its scale; it raises the scale only after ``growth_interval``
    clean steps. So a step was skipped exactly when the scale fell."""
    return scale_after < scale_before


@HOOKS.register_module()
class AmpSkippedStepsHook(Hook):
    """Logs ``amp_skipped_steps`` (skipped so far) and ``loss_scale``.

    Works with any loop, so the baseline twin and NetAug are counted alike.
    A no-op without AMP. With a static loss scale (``loss_scale=512.``)
    mmengine's scaler never changes its scale and skipped steps cannot be
    seen: use ``loss_scale='dynamic'`` (the default) to count them.
    """
    priority = 'NORMAL'

    def __init__(self):
        self.skipped = 0
        self.steps = 0
        self._before = None

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self._before = loss_scale(runner.optim_wrapper)

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        after = loss_scale(runner.optim_wrapper)
        if self._before is None or after is None:
            return
        self.steps += 1
        self.skipped += step_was_skipped(self._before, after)
        runner.message_hub.update_scalar('train/amp_skipped_steps',
                                         self.skipped)
        runner.message_hub.update_scalar('train/loss_scale', after)

    def after_train(self, runner):
        if self.steps:
            runner.logger.info(
                f'AMP skipped {self.skipped} of {self.steps} optimizer steps '
                f'({100.0 * self.skipped / self.steps:.1f} per 100 '
                'iterations)')
