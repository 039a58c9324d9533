"""One NetAug training step: a base pass and one sampled wide pass."""
import contextlib
from typing import Optional, Sequence

import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper
from torch.nn.modules.batchnorm import _BatchNorm

from mmnetaug.ops import DynamicBatchNorm2d
from mmnetaug.space import (EXPAND, WIDTH, current_config, sample_wide,
                            set_base, unwrap)
from .amp_hooks import loss_scale


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
    """Normalise with batch statistics but leave running ones untouched.

    Every BatchNorm layer in training mode keeps the running statistics of
    the base pass: the dynamic ones skip the update, stock ones (a stock
    neck or head behind a NetAug backbone sees features computed through
    the wide network) get their statistics restored afterwards.
    """
    module = unwrap(model)
    layers = [m for m in module.modules()
              if isinstance(m, DynamicBatchNorm2d)] if enabled else []
    stock = [m for m in module.modules()
             if isinstance(m, _BatchNorm) and m.training
             and m.track_running_stats
             and not isinstance(m, DynamicBatchNorm2d)] if enabled else []
    saved = [[t.clone() for t in _running_stats(m)] for m in stock]
    for m in layers:
        m.update_running_stats = False
    try:
        yield
    finally:
        for m in layers:
            m.update_running_stats = True
        with torch.no_grad():
            for m, tensors in zip(stock, saved):
                for dst, src in zip(_running_stats(m), tensors):
                    dst.copy_(src)


def _running_stats(bn: _BatchNorm) -> list:
    return [t for t in (bn.running_mean, bn.running_var,
                        bn.num_batches_tracked) if t is not None]


def _norm(tensors) -> torch.Tensor:
    norms = [torch.linalg.vector_norm(t.detach().float()) for t in tensors]
    if not norms:
        return torch.zeros(())
    return torch.linalg.vector_norm(torch.stack(norms))


def netaug_train_step(model: nn.Module,
                      data_batch,
                      optim_wrapper: OptimWrapper,
                      generator: torch.Generator,
                      aug_loss_weight: float = 1.0,
                      kinds: Sequence[str] = (WIDTH, EXPAND),
                      freeze_wide_bn: bool = False,
                      log_grad_norms: bool = False) -> tuple:
    """Base pass + one wide pass, gradients summed, one optimizer update.

    Works on a bare model or a DDP wrapper: the base pass runs under
    ``no_sync()`` so the wide backward all-reduces the summed gradients.
    Everything goes through the ``OptimWrapper`` API, so AMP loss scaling
    and clip_grad apply (the loops refuse gradient accumulation). The model
    is left at base width.

    Gradient clipping (``optim_wrapper.clip_grad``) acts once, in the
    optimizer step, on the summed gradient base + ``aug_loss_weight`` x wide,
    as the reference code clips (one step over the accumulated gradient).
    When the norm is above the threshold, the base gradient's share of the
    update is therefore smaller than in a baseline run with the same
    threshold. ``log_grad_norms`` logs the norms of the two parts
    (``grad_norm_base``, ``grad_norm_wide``, before clipping, unscaled under
    AMP) so this can be checked; it costs one copy of the gradients.

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

    if log_grad_norms:
        base_grads = {p: p.grad.clone() for p in module.parameters()
                      if p.grad is not None}

    summary = sample_wide(module, generator, kinds)
    wide_config = current_config(module)
    try:
        with frozen_bn_stats(module, freeze_wide_bn):
            with optim_wrapper.optim_context(model):
                losses = model._run_forward(data, mode='loss')
            aug_loss, _ = module.parse_losses(losses)
            if not log_grad_norms:
                optim_wrapper.update_params(aug_loss * aug_loss_weight)
            else:
                # update_params = backward + step + zero_grad; the norms are
                # read between backward and step (clip_grad acts in step)
                optim_wrapper.backward(
                    optim_wrapper.scale_loss(aug_loss * aug_loss_weight))
                scale = loss_scale(optim_wrapper) or 1.0
                log_vars['grad_norm_base'] = _norm(
                    base_grads.values()) / scale
                log_vars['grad_norm_wide'] = _norm([
                    p.grad - base_grads[p] if p in base_grads else p.grad
                    for p in module.parameters() if p.grad is not None
                ]) / scale
                if optim_wrapper.should_update():
                    optim_wrapper.step()
                    optim_wrapper.zero_grad()
    finally:
        set_base(module)
    log_vars['aug_loss'] = aug_loss.detach()
    for key, value in summary.items():
        log_vars[key] = torch.tensor(value)
    return log_vars, wide_config
