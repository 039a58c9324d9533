"""Re-estimate BatchNorm statistics of the base network on training images."""
import torch
import torch.nn as nn
from mmengine.dist import all_reduce, get_world_size
from torch.nn.modules.batchnorm import _BatchNorm

from mmnetaug.space import set_base, unwrap


@torch.no_grad()
def recalibrate_bn(model: nn.Module, dataloader, num_images: int) -> int:
    """Reset and re-estimate every BN's running statistics at base width.

    Each BN accumulates the equal-weight average of per-batch statistics
    (``momentum=None``) over about ``num_images`` images, then the result is
    averaged across ranks. Returns the number of images used on this rank.
    """
    module = unwrap(model)
    set_base(module)
    was_training = module.training
    modes = [(m, m.training) for m in module.modules()]
    module.train()  # frozen stages and norm_eval keep their BNs in eval
    bns = [m for m in module.modules()
           if isinstance(m, _BatchNorm) and m.training]
    momenta = [(m, m.momentum) for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
    seen = 0
    try:
        for data_batch in dataloader:
            data = module.data_preprocessor(data_batch, False)
            module._run_forward(data, mode='tensor')
            seen += data['inputs'].size(0)
            if seen >= num_images:
                break
    finally:
        for m, momentum in momenta:
            m.momentum = momentum
        module.train(was_training)
        for m, training in modes:
            m.training = training
    if get_world_size() > 1:
        for m in bns:
            for stat in (m.running_mean, m.running_var):
                all_reduce(stat, op='mean')
    return seen
