"""What backbones built as ``conv1`` + named stages share (mmdet style)."""
from torch.nn.modules.batchnorm import _BatchNorm


class StagedBackboneMixin:
    """Forward through the stages; ``frozen_stages = k`` freezes ``conv1`` and the first k of
    ``self.layers``; ``norm_eval`` keeps every BN in eval mode in training.

    Needs ``self.conv1``, ``self.layers`` (names), ``self.frozen_stages`` and
    ``self.norm_eval``. mmdet's MobileNetV2 freezes ``conv1``'s parameters
    but leaves it in training mode; twins of it set ``eval_frozen_conv1``
    to False to behave the same.
    """
    eval_frozen_conv1 = True

    def _forward_stages(self, x, num_run: int) -> tuple:
        """Run ``conv1`` and the first ``num_run`` stages; return the
        outputs of ``self.out_indices``."""
        x = self.conv1(x)
        outs = []
        for i, name in enumerate(self.layers[:num_run]):
            x = getattr(self, name)(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)

    def _freeze_stages(self):
        if self.frozen_stages >= 0:
            if self.eval_frozen_conv1:
                self.conv1.eval()
            for param in self.conv1.parameters():
                param.requires_grad = False
        for name in self.layers[:max(self.frozen_stages, 0)]:
            layer = getattr(self, name)
            layer.eval()
            for param in layer.parameters():
                param.requires_grad = False

    def train(self, mode=True):
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self
