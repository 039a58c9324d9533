"""The reference ImageNet classifier on top of a tiny backbone.

Detection does not use it. It exists so the models can be checked against
the paper (params and MACs are quoted with the classifier, at ImageNet
resolution: ``tiny_backbone_complexity.py`` and the tests) and so full
reference checkpoints can be verified: the state dict of this module is the
layout ``tools/model_converters/netaug_reference_to_mmnetaug.py`` writes,
so a converted checkpoint loads into it with mmengine's ``load_checkpoint``
(``strict=True``).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule


class TinyImageNetClassifier(nn.Module):
    """backbone -> global average pool -> [1x1 conv + act] -> linear.

    The optional ``pre_logits`` conv (bias, no norm) is MobileNetV3's
    1280-wide layer after pooling.
    """

    def __init__(self,
                 backbone: nn.Module,
                 in_channels: int,
                 num_classes: int = 1000,
                 pre_logits_channels: int = None,
                 pre_logits_act: dict = None):
        super().__init__()
        self.backbone = backbone
        self.pre_logits = None
        if pre_logits_channels:
            self.pre_logits = ConvModule(
                in_channels, pre_logits_channels, 1, act_cfg=pre_logits_act)
            in_channels = pre_logits_channels
        self.fc = nn.Linear(in_channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.adaptive_avg_pool2d(self.backbone(x)[-1], 1)
        if self.pre_logits is not None:
            x = self.pre_logits(x)
        return self.fc(x.flatten(1))


def build_imagenet_classifier(
        backbone: nn.Module,
        num_classes: int = 1000) -> TinyImageNetClassifier:
    """Wrap a tiny backbone (or mmdet's MobileNetV2) as the reference model.

    The backbone must return its last layer last: ``out_indices`` ending at
    the final entry (e.g. ``(7, )`` for MobileNetV2, ``(6, )`` for MCUNet).
    """
    last = len(backbone.layers) - 1
    if backbone.out_indices[-1] != last:
        raise ValueError(
            f'build the backbone with out_indices=({last}, ) (its last '
            f'layer, {backbone.layers[-1]}) to classify; got '
            f'{tuple(backbone.out_indices)}')
    spec = getattr(backbone, 'spec', None)
    if spec is None:  # mmdet MobileNetV2
        return TinyImageNetClassifier(backbone, backbone.out_channel,
                                      num_classes)
    return TinyImageNetClassifier(backbone, spec.out_channels[-1], num_classes,
                                  spec.pre_logits_channels,
                                  spec.pre_logits_act)
