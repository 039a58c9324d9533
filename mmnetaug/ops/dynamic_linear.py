"""Weight-sharing Linear layer."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmnetaug.registry import MODELS
from .leading_slice import LeadingSliceLoadMixin


@MODELS.register_module()
class DynamicLinear(LeadingSliceLoadMixin, nn.Linear):
    """``nn.Linear`` reading the leading input features of the input.

    The output width is fixed (a classifier keeps its classes) unless the
    owner lowers ``active_out_features``.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.active_out_features = self.out_features
        self.active_in_features = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        in_features = x.size(-1)
        self.active_in_features = in_features
        out = self.active_out_features
        bias = None if self.bias is None else self.bias[:out]
        return F.linear(x, self.weight[:out, :in_features], bias)

    def to_static(self) -> nn.Linear:
        if self.active_in_features is None:
            raise RuntimeError('run a forward pass at the widths to export '
                               'before calling to_static()')
        out, in_features = self.active_out_features, self.active_in_features
        linear = nn.Linear(in_features, out, self.bias is not None)
        linear = linear.to(self.weight)
        with torch.no_grad():
            linear.weight.copy_(self.weight[:out, :in_features])
            if self.bias is not None:
                linear.bias.copy_(self.bias[:out])
        return linear
