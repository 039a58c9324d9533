"""Params and MACs counted the way the NetAug reference reports them.

The reference counts trainable parameters (BN affine included) and MACs
with torchprofile: convolutions and linear layers, plus element-wise
multiplications (the SE gating); BN is treated as folded into the convs
(0 MACs), activations, additions and pooling are free. Counting with
forward hooks gives the same numbers without the extra dependency.

Why not ``mmengine.analysis``: ``get_model_complexity_info`` counts with
fvcore's rules (BN and pooling counted, the SE multiply not): 25.9M MACs
for MobileNetV2-Tiny at 144 px against the paper's 23.5M. Its
``FlopAnalyzer`` with the reference's op handles matches on the tiny
models, but counts a jit trace, which leaves out layers whose result is not
used: mmdet's MobileNetV2 runs its 1280-wide ``conv2`` in YOLOv3 (118.4M
backbone MACs at 320 px), the trace counts 104.0M.
"""
from typing import Callable, Dict, Optional

import torch
import torch.nn as nn

from mmnetaug.models.layers.tiny_se import TinySELayer


def _conv_macs(module: nn.Conv2d, inputs, output) -> int:
    in_channels = inputs[0].size(1)
    groups = module.groups
    if getattr(module, 'is_depthwise', False):  # DynamicConv2d
        groups = in_channels
    kh, kw = module.kernel_size
    return output.numel() // output.size(0) * (in_channels // groups) * kh * kw


def _linear_macs(module: nn.Linear, inputs, output) -> int:
    return output.numel() // output.size(0) * inputs[0].size(-1)


def _gate_macs(module: TinySELayer, inputs, output) -> int:
    return output.numel() // output.size(0)


_RULES = ((nn.Conv2d, _conv_macs), (nn.Linear, _linear_macs), (TinySELayer,
                                                               _gate_macs))


@torch.no_grad()
def profile(model: nn.Module,
            input_shape=(1, 3, 224, 224),
            forward: Optional[Callable] = None) -> Dict[str, int]:
    """Per-image MACs of one eval forward, and the parameter counts.

    Returns ``macs``, ``params`` (all parameters) and ``used_params``
    (parameters of the layers the forward pass ran: layers a detector
    keeps but never runs, such as a backbone's classifier-side conv, are
    left out). ``forward`` defaults to calling the model.
    """
    macs, used = [0], set()
    handles = []

    def hook(rule):

        def _count(module, inputs, output):
            macs[0] += int(rule(module, inputs, output))

        return _count

    def mark(module, inputs, output):
        used.add(module)

    for module in model.modules():
        for cls, rule in _RULES:
            if isinstance(module, cls):
                handles.append(module.register_forward_hook(hook(rule)))
        if not list(module.children()):
            handles.append(module.register_forward_hook(mark))
    was_training = model.training
    model.eval()
    try:
        (forward or model)(torch.zeros(input_shape))
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    return dict(
        macs=macs[0],
        params=sum(p.numel() for p in model.parameters()),
        used_params=sum(p.numel() for m in used
                        for p in m.parameters(recurse=False)))
