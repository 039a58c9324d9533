"""The EMA copy of a NetAug model (mmengine's ``EMAHook``).

YOLOX and RTMDet train with ``EMAHook``: a deep copy of the model whose
parameters (and, with ``update_buffers=True``, BN buffers) are averaged by
name after every iteration, swapped into the model for validation and
test, and saved as the checkpoint's ``state_dict``. It is the network that
gets evaluated and deployed, so it must follow what NetAug does to the live
model: channel sorting permutes it too, and it runs at base width.
"""
from typing import Iterable, Optional

import torch
import torch.nn as nn
from mmengine.hooks import EMAHook
from torch.nn.modules.batchnorm import _BatchNorm

BN_STATS = ('running_mean', 'running_var')


def find_ema_hook(runner) -> Optional[EMAHook]:
    """The runner's ``EMAHook`` (or subclass), or None; at most one."""
    hooks = [h for h in runner.hooks if isinstance(h, EMAHook)]
    if len(hooks) > 1:
        raise ValueError(
            f'NetAugHook found {len(hooks)} EMAHooks in custom_hooks; keep '
            'one (a NetAug model has one EMA copy to keep in step)')
    return hooks[0] if hooks else None


def ema_module(runner) -> Optional[nn.Module]:
    """The averaged copy of the detector, once ``EMAHook.before_run`` has
    built it; None without an EMAHook."""
    hook = find_ema_hook(runner)
    ema_model = getattr(hook, 'ema_model', None)
    return None if ema_model is None else ema_model.module


def _tensor_names(model: nn.Module) -> dict:
    """id(tensor) -> (module name, attribute) for parameters and buffers."""
    names = {}
    for module_name, module in model.named_modules():
        for attr, tensor in list(module._parameters.items()) + list(
                module._buffers.items()):
            if tensor is not None:
                names.setdefault(id(tensor), (module_name, attr))
    return names


@torch.no_grad()
def permute_like(model: nn.Module, ema: nn.Module,
                 moved: Iterable[tuple]) -> int:
    """Apply the live model's channel permutations to its EMA copy.

    ``moved`` holds the ``(tensor, dim, perm)`` triples that the modules'
    ``sort_channels()`` return for the live ``model``; each is applied to
    the EMA tensor of the same name. Sorting also permutes the running
    statistics of a BN whose weight it permutes (they are buffers, not in
    the triples): the EMA's follow with the same permutation. Returns the
    number of EMA tensors permuted.
    """
    names = _tensor_names(model)
    ema_modules = dict(ema.named_modules())
    todo = {}
    for tensor, dim, perm in moved:
        key = names.get(id(tensor))
        if key is None:
            raise ValueError(
                'sort_channels() returned a tensor that is not a parameter '
                'or buffer of the model; the EMA copy cannot follow it')
        todo[key] = (dim, perm)
        module_name, attr = key
        live_module = model.get_submodule(module_name)
        if isinstance(live_module, _BatchNorm) and attr == 'weight':
            for stat in BN_STATS:
                if getattr(live_module, stat, None) is not None:
                    todo.setdefault((module_name, stat), (dim, perm))
    for (module_name, attr), (dim, perm) in todo.items():
        target = getattr(ema_modules[module_name], attr)
        target.data.copy_(
            target.data.index_select(dim, perm.to(target.device)))
    return len(todo)


def check_hook_order(runner, netaug_hook) -> None:
    """``bn_policy='recalibrate'`` re-estimates BN statistics of the
    network under evaluation: ``EMAHook`` must have swapped the EMA weights
    in before ``NetAugHook`` runs."""
    ema_hook = find_ema_hook(runner)
    if ema_hook is None:
        return
    hooks = list(runner.hooks)
    if hooks.index(ema_hook) > hooks.index(netaug_hook):
        raise ValueError(
            "NetAugHook(bn_policy='recalibrate') must run after EMAHook, so "
            'that it re-estimates the BN statistics of the EMA weights that '
            'get evaluated: give EMAHook a higher priority than NetAugHook '
            "(priority=49, as mmdet's YOLOX and RTMDet configs do, or list "
            'it before NetAugHook in custom_hooks at the same priority)')
