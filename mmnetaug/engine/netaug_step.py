"""One NetAug training step: a base pass and one sampled wide pass."""
import contextlib
from typing import Optional, Sequence

import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper

from mmnetaug.ops import DynamicBatchNorm2d
from mmnetaug.space import (EXPAND, WIDTH, current_config, sample_wide,
                            set_base, unwrap)


def iteration_generator(seed: Optional[int], iteration: int) -> torch.Generator:
    """A generator that depends on (seed, iteration) only.

    Every rank draws the same wide network without communicating, and a
    resumed run draws what the uninterrupted run drew.
    """
    seed = 0 if seed is None else int(seed)
    return torch.Generator().manual_seed(
        (seed * 1_000_003 + iteration) % (2**63 - 1))


@contextlib.contextmanager
def _no_sync(model: nn.Module):
    if hasattr(model, 'no_sync'):
        with model.no_sync():
            yield
    else:
        yield


@contextlib.contextmanager
def frozen_bn_stats(model: nn.Module, enabled: bool = True):
    """Normalise with batch statistics but leave running ones untouched."""
    layers = [m for m in unwrap(model).modules()
              if isinstance(m, DynamicBatchNorm2d)] if enabled else []
    for m in layers:
        m.update_running_stats = False
    try:
        yield
    finally:
        for m in layers:
            m.update_running_stats = True


def netaug_train_step(model: nn.Module,
                      data_batch,
                      optim_wrapper: OptimWrapper,
                      generator: torch.Generator,
                      aug_loss_weight: float = 1.0,
                      kinds: Sequence[str] = (WIDTH, EXPAND),
                      freeze_wide_bn: bool = False) -> tuple:
    """Base pass + one wide pass, gradients summed, one optimizer update.

    Works on a bare model or a DDP wrapper: the base pass runs under
    ``no_sync()`` so the wide backward all-reduces the summed gradients.
    Everything goes through the ``OptimWrapper`` API, so AMP loss scaling
    and clip_grad apply (the loops refuse gradient accumulation). The model
    is left at base width.

    Returns the log variables (base losses under their stock names,
    ``aug_loss``, the mean sampled factors) and the sampled configuration
    (``space.current_config`` of the wide pass).
    """
    module = unwrap(model)
    with optim_wrapper.optim_context(model):
        data = module.data_preprocessor(data_batch, True)

    set_base(module)
    with _no_sync(model):
        with optim_wrapper.optim_context(model):
            losses = model._run_forward(data, mode='loss')
        base_loss, log_vars = module.parse_losses(losses)
        optim_wrapper.backward(optim_wrapper.scale_loss(base_loss))
    # OptimWrapper counts backward calls as iterations (accumulation, tail
    # scaling); NetAug makes two per iteration, so count this one out.
    optim_wrapper._inner_count -= 1

    summary = sample_wide(module, generator, kinds)
    wide_config = current_config(module)
    try:
        with frozen_bn_stats(module, freeze_wide_bn):
            with optim_wrapper.optim_context(model):
                losses = model._run_forward(data, mode='loss')
            aug_loss, _ = module.parse_losses(losses)
            optim_wrapper.update_params(aug_loss * aug_loss_weight)
    finally:
        set_base(module)
    log_vars['aug_loss'] = aug_loss.detach()
    for key, value in summary.items():
        log_vars[key] = torch.tensor(value)
    return log_vars, wide_config
