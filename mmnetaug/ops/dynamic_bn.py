"""Weight-sharing BatchNorm: normalises the leading channels of its input."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmnetaug.registry import MODELS
from .leading_slice import LeadingSliceLoadMixin


@MODELS.register_module()
class DynamicBatchNorm2d(LeadingSliceLoadMixin, nn.BatchNorm2d):
    """``nn.BatchNorm2d`` allocated at maximum width.

    Running statistics are updated in place in their leading slice (views),
    as in the reference code. ``update_running_stats = False`` makes a
    training-mode pass normalise with batch statistics without touching the
    running ones: the wide pass then cannot corrupt the base statistics.
    mmcv names any ``_BatchNorm`` subclass ``bn``, so parameter names stay
    those of the stock layer.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.update_running_stats = True
        self.active_channels = None

    def _tracks_running_stats(self) -> bool:
        return (self.training and self.track_running_stats
                and self.update_running_stats)

    def _averaging_factor(self, track: bool) -> float:
        """The running-average factor of this pass, as ``nn.BatchNorm2d``
        computes it (counting the pass in ``num_batches_tracked``)."""
        factor = 0.0 if self.momentum is None else self.momentum
        if track and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked)
        return factor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c = x.size(1)
        self.active_channels = c
        track = self._tracks_running_stats()
        factor = self._averaging_factor(track)
        use_batch_stats = self.training or self.running_mean is None
        if self.training and not track:
            running_mean = running_var = None
        else:
            running_mean = self.running_mean[:c]
            running_var = self.running_var[:c]
        weight = None if self.weight is None else self.weight[:c]
        bias = None if self.bias is None else self.bias[:c]
        return F.batch_norm(x, running_mean, running_var, weight, bias,
                            use_batch_stats, factor, self.eps)

    def to_static(self) -> nn.BatchNorm2d:
        """A plain ``nn.BatchNorm2d`` with the width of the last forward."""
        if self.active_channels is None:
            raise RuntimeError('run a forward pass at the widths to export '
                               'before calling to_static()')
        c = self.active_channels
        bn = self._static_layer(c).to(self.running_mean)
        bn.train(self.training)
        state = {
            name: tensor[:c] if tensor.dim() else tensor
            for name, tensor in self.state_dict().items()
        }
        bn.load_state_dict(state)
        return bn

    def _static_layer(self, num_features: int) -> nn.BatchNorm2d:
        return nn.BatchNorm2d(num_features, self.eps, self.momentum,
                              self.affine, self.track_running_stats)
