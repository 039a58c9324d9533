"""Function-preserving sorting of an inverted block's hidden channels."""
from typing import Iterable, List, Sequence, Tuple

import torch
import torch.nn as nn


@torch.no_grad()
def sort_hidden_channels(conv_modules: Sequence, proj_weight: torch.Tensor,
                         extra: Iterable[Tuple[torch.Tensor, int]] = ()
                         ) -> List[tuple]:
    """Put the most important hidden channels first (reference NetAug).

    Importance of a hidden channel is the L1 norm of the projection weights
    that read it. The same permutation is applied to every tensor carrying
    the hidden channels: the convs (dim 0) and BNs of ``conv_modules``
    (mmcv ``ConvModule``s producing them), the projection's input (dim 1) and
    any ``extra`` ``(tensor, dim)``. At max width the block computes the same
    function afterwards. Returns ``(param, dim, perm)`` for each permuted
    parameter so optimizer state can follow.
    """
    importance = proj_weight.abs().sum(dim=(0, 2, 3))
    perm = torch.sort(importance, descending=True, stable=True)[1]
    moved = []
    for conv_module in conv_modules:
        moved.append((conv_module.conv.weight, 0))
        for name in ('weight', 'bias', 'running_mean', 'running_var'):
            tensor = getattr(conv_module.bn, name)
            if tensor is not None:
                moved.append((tensor, 0))
    moved.append((proj_weight, 1))
    moved.extend(extra)
    for tensor, dim in moved:
        tensor.copy_(tensor.index_select(dim, perm))
    return [(t, d, perm) for t, d in moved if isinstance(t, nn.Parameter)]
