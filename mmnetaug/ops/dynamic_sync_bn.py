"""Weight-sharing SyncBatchNorm: batch statistics of the leading channels
reduced across ranks."""
from typing import Optional, Tuple

import torch
import torch.distributed as dist
# what mmcv builds for norm_cfg type 'SyncBN': torch's, parrots-aware
from mmengine.utils.dl_utils.parrots_wrapper import SyncBatchNorm

from mmnetaug.registry import MODELS
from .dynamic_bn import DynamicBatchNorm2d


class _AllReduceSum(torch.autograd.Function):
    """``all_reduce(SUM)`` with its gradient (the all-reduced gradient).

    As ``torch.distributed.nn.functional.all_reduce``, which recent torch
    deprecates (warning on use) without an autograd replacement.
    """

    @staticmethod
    def forward(ctx, tensor, group):
        ctx.group = group
        tensor = tensor.clone(memory_format=torch.contiguous_format)
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM, group=group)
        return tensor

    @staticmethod
    def backward(ctx, grad):
        grad = grad.clone(memory_format=torch.contiguous_format)
        dist.all_reduce(grad, op=dist.ReduceOp.SUM, group=ctx.group)
        return grad, None


def _sync_batch_stats(x: torch.Tensor, group) -> Tuple[torch.Tensor, ...]:
    """Per-channel mean, biased variance and count over all ranks' batches,
    differentiable, and ``x`` centred by that mean.

    Two reductions (sum and count, then the centred sum of squares) rather
    than one of sum and sum of squares, whose difference cancels
    catastrophically when a channel's mean is large against its spread.
    A rank with an empty batch contributes zeros.
    """
    c = x.size(1)
    dims = [0] + list(range(2, x.dim()))
    shape = (1, c) + (1, ) * (x.dim() - 2)
    count = x.new_full((1, ), x.numel() // c if c else 0)
    total = _AllReduceSum.apply(torch.cat([x.sum(dims), count]), group)
    count = total[c:].clamp(min=1)
    mean = total[:c] / count
    centred = x - mean.view(shape)
    sq_sum = _AllReduceSum.apply(centred.pow(2).sum(dims), group)
    return mean, sq_sum / count, count, centred


@MODELS.register_module()
class DynamicSyncBatchNorm2d(DynamicBatchNorm2d):
    """``DynamicBatchNorm2d`` whose training-mode statistics span all ranks.

    ``norm_cfg=dict(type='SyncBN')`` in a NetAug module builds this layer.
    In training mode, with ``torch.distributed`` initialised and more than
    one rank in ``process_group`` (default: the world), the mean and
    variance of the active leading channels are those of the concatenated
    batch of all ranks (two differentiable all-reduces: the gradient is that
    of BN on the whole batch); the leading slice of the running statistics
    is updated with them (unbiased variance, ``nn.BatchNorm2d``'s momentum
    rule) unless ``update_running_stats`` is False. Everywhere else (eval
    mode, one process, a group of one) it is ``DynamicBatchNorm2d``.

    torch's ``SyncBatchNorm`` kernels (``batch_norm_stats`` and the like)
    exist for GPUs only, so this layer reduces with plain ``all_reduce``
    calls and normalises elementwise: it runs with gloo on CPU as well as
    with NCCL. As with any SyncBN, every rank must run the same forward and
    backward passes through the layer. ``to_static`` gives the stock layer
    of mmcv's ``SyncBN`` (mmengine's subclass of ``nn.SyncBatchNorm``).
    """

    def __init__(self,
                 num_features: int,
                 eps: float = 1e-5,
                 momentum: Optional[float] = 0.1,
                 affine: bool = True,
                 track_running_stats: bool = True,
                 process_group=None,
                 device=None,
                 dtype=None):
        super().__init__(num_features, eps, momentum, affine,
                         track_running_stats, device=device, dtype=dtype)
        self.process_group = process_group

    def _sync_group(self):
        """The process group to reduce over, or None for no reduction."""
        if not (self.training and dist.is_available()
                and dist.is_initialized()):
            return None
        group = (dist.group.WORLD
                 if self.process_group is None else self.process_group)
        return group if dist.get_world_size(group) > 1 else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        group = self._sync_group()
        if group is None:
            return super().forward(x)
        c = x.size(1)
        self.active_channels = c
        track = self._tracks_running_stats()
        factor = self._averaging_factor(track)
        dtype = x.dtype
        if dtype in (torch.float16, torch.bfloat16):
            x = x.float()
        mean, var, count, centred = _sync_batch_stats(x, group)
        if track:
            with torch.no_grad():
                unbiased = var * count / (count - 1).clamp(min=1)
                self.running_mean[:c].mul_(1 - factor).add_(
                    mean.to(self.running_mean.dtype), alpha=factor)
                self.running_var[:c].mul_(1 - factor).add_(
                    unbiased.to(self.running_var.dtype), alpha=factor)
        shape = (1, c) + (1, ) * (x.dim() - 2)
        scale = torch.rsqrt(var + self.eps)
        if self.weight is not None:
            scale = scale * self.weight[:c]
        out = centred * scale.view(shape)
        if self.bias is not None:
            out = out + self.bias[:c].view(shape)
        return out.to(dtype)

    def _static_layer(self, num_features: int) -> SyncBatchNorm:
        return SyncBatchNorm(num_features, self.eps, self.momentum,
                             self.affine, self.track_running_stats,
                             self.process_group)
