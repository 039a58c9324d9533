"""An image classifier on a tiny backbone, for NetAug pretraining.

mmpretrain's ``ImageClassifier`` would be the natural choice, but mmpretrain
imports torchvision at start-up, and torchvision has no build for the CPU
torch this project runs on. This one stands on mmengine alone, keeps the
reference NetAug classifier's layout (``backbone.``, ``pre_logits.``,
``fc.``: converted reference checkpoints load strictly) and trains with the
NetAug loop and hook unchanged: they drive its backbone's width knobs.
"""
from typing import List, Optional, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmdet.registry import MODELS as MMDET_MODELS
from mmengine.model import BaseModel

from mmnetaug.ops import DynamicLinear
from mmnetaug.registry import MODELS
from mmnetaug.space import is_netaug_model, netaug_choices, set_base, set_max
from .teacher import Teacher

DEFAULT_PREPROCESSOR = dict(type='ImgDataPreprocessor')


def _last(features) -> torch.Tensor:
    return features[-1] if isinstance(features, (list, tuple)) else features


@MODELS.register_module()
class TinyClassifier(BaseModel):
    """backbone -> global average pool -> [1x1 conv + act] -> linear.

    Args:
        backbone (dict | nn.Module): any mmdet or mmnetaug backbone (its
            config, or built); the classifier
            reads its last output (e.g. MobileNetV2 with ``out_indices=(7,
            )``, its 1280-wide ``conv2``).
        num_classes (int): classes of the linear layer.
        pre_logits_channels (int, optional): width of the 1x1 conv (bias,
            no norm) after pooling: MobileNetV3's 1280-wide layer.
        pre_logits_act (dict, optional): its activation.
        label_smoothing (float): of the cross-entropy (reference: 0.1).
        distill (dict, optional): knowledge distillation from a frozen
            teacher: ``dict(config=..., checkpoint=..., temperature=1.0,
            weight=1.0, wide=False)`` (see :class:`Teacher`). With a NetAug
            backbone the teacher supervises the base pass only unless
            ``wide=True``.
        data_preprocessor (dict, optional): default mmengine's
            ``ImgDataPreprocessor``; set ``mean`` and ``std``.

    In ``'predict'`` mode it returns one ``dict(pred_label, gt_label)`` per
    image, what ``mmnetaug.Top1Accuracy`` scores.
    """
    # what exported configs (mmnetaug.export) drop: the teacher
    train_only_args = ('distill', )

    def __init__(self,
                 backbone: Union[dict, nn.Module],
                 num_classes: int,
                 pre_logits_channels: Optional[int] = None,
                 pre_logits_act: Optional[dict] = None,
                 label_smoothing: float = 0.1,
                 distill: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None):
        super().__init__(
            data_preprocessor=data_preprocessor or DEFAULT_PREPROCESSOR,
            init_cfg=init_cfg)
        if not isinstance(num_classes, int) or num_classes < 1:
            raise ValueError(f'TinyClassifier.num_classes must be a positive '
                             f'int, got {num_classes!r}')
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError('TinyClassifier.label_smoothing must be in '
                             f'[0, 1), got {label_smoothing!r}')
        self.num_classes = num_classes
        self.label_smoothing = float(label_smoothing)
        self.backbone = backbone if isinstance(
            backbone, nn.Module) else MMDET_MODELS.build(backbone)
        netaug = is_netaug_model(self.backbone)
        base_in, max_in = self._feature_widths(netaug)
        self.pre_logits = None
        if pre_logits_channels:
            self.pre_logits = ConvModule(
                max_in, pre_logits_channels, 1, act_cfg=pre_logits_act,
                conv_cfg=dict(type='mmnetaug.DynamicConv2d')
                if netaug else None)
            base_in = max_in = pre_logits_channels
        # a NetAug backbone whose last stage varies in width feeds a linear
        # layer that reads the leading features (same names and base shape)
        self.fc = (DynamicLinear if max_in != base_in else nn.Linear)(
            max_in, num_classes)
        self.teacher = None
        if distill is not None:
            # kept out of the module tree: not in the state dict, the
            # optimizer or DDP, and never switched to training mode
            self.__dict__['teacher'] = Teacher(**distill)

    @torch.no_grad()
    def _feature_widths(self, netaug: bool) -> tuple:
        """Channels of the backbone's last output at base and max width."""
        was_training = self.backbone.training
        self.backbone.eval()
        x = torch.zeros(1, 3, 32, 32)
        try:
            base = _last(self.backbone(x)).size(1)
            if not netaug:
                return base, base
            set_max(self.backbone)
            return base, _last(self.backbone(x)).size(1)
        finally:
            set_base(self.backbone)
            self.backbone.train(was_training)

    def _apply(self, fn, *args, **kwargs):
        # .to(device) and friends move the teacher along
        if self.teacher is not None:
            self.teacher._apply(fn, *args, **kwargs)
        return super()._apply(fn, *args, **kwargs)

    # ---- forward ------------------------------------------------------
    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        """Pooled features (after ``pre_logits`` when there is one)."""
        x = F.adaptive_avg_pool2d(_last(self.backbone(inputs)), 1)
        if self.pre_logits is not None:
            x = self.pre_logits(x)
        return x.flatten(1)

    def _forward(self, inputs: torch.Tensor, data_samples=None):
        return self.fc(self.extract_feat(inputs))

    def forward(self, inputs: torch.Tensor, data_samples=None,
                mode: str = 'tensor'):
        if mode == 'tensor':
            return self._forward(inputs)
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise RuntimeError(f'Invalid mode "{mode}": use tensor, loss or '
                           'predict')

    @staticmethod
    def _labels(data_samples, inputs: torch.Tensor) -> torch.Tensor:
        if data_samples is None:
            raise ValueError('TinyClassifier needs the labels (data_samples)'
                             " in 'loss' and 'predict' mode")
        if not isinstance(data_samples, torch.Tensor):
            data_samples = torch.as_tensor(data_samples)
        return data_samples.to(inputs.device).long().view(-1)

    def _at_base(self) -> bool:
        return all(k.index == 0 for k in netaug_choices(self.backbone))

    def loss(self, inputs: torch.Tensor, data_samples) -> dict:
        labels = self._labels(data_samples, inputs)
        logits = self._forward(inputs)
        losses = dict(loss_cls=F.cross_entropy(
            logits, labels, label_smoothing=self.label_smoothing))
        # logged, not summed (parse_losses sums the keys with 'loss')
        losses['top1_train'] = (logits.detach().argmax(1) == labels).float(
        ).mean() * 100
        if self.teacher is not None and (self.teacher.wide
                                         or self._at_base()):
            losses['loss_kd'] = self.teacher.loss(inputs, logits)
        return losses

    def predict(self, inputs: torch.Tensor, data_samples=None) -> list:
        labels = self._labels(data_samples, inputs)
        pred = self._forward(inputs).argmax(dim=1)
        return [dict(pred_label=p, gt_label=g)
                for p, g in zip(pred.tolist(), labels.tolist())]


def build_imagenet_classifier(backbone: nn.Module,
                              num_classes: int = 1000) -> TinyClassifier:
    """Wrap a built tiny backbone (or mmdet's MobileNetV2) as the reference
    ImageNet classifier, whose layout the reference checkpoint converter
    (``tools/model_converters/netaug_reference_to_mmnetaug.py``) writes.

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
    return TinyClassifier(
        backbone, num_classes,
        pre_logits_channels=getattr(spec, 'pre_logits_channels', None),
        pre_logits_act=getattr(spec, 'pre_logits_act', None))
