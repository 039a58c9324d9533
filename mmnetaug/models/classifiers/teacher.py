"""A frozen teacher for knowledge distillation (KD).

The reference NetAug code has no KD (its ``train.py`` supervises both
passes with labels only); the paper's KD + NetAug models add a teacher's
soft labels. Here they supervise the student's base pass: KD, in the
author's words, acts like adaptive label smoothing for the network that is
deployed, while the wide pass is there to train the base as part of wider
networks, which hard labels already do. ``wide=True`` gives the wide pass
the teacher too (its logits are computed once per batch either way).
"""
import os.path as osp
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.runner.checkpoint import load_checkpoint

from mmnetaug.space import set_base


def build_model(cfg: Config) -> nn.Module:
    from mmnetaug.export import build_detector  # the same registry scope
    return build_detector(cfg)


class Teacher:
    """The teacher of ``TinyClassifier(distill=...)``: built from its own
    training config, its checkpoint loaded strictly, in eval mode, without
    gradients; at base width if it is a NetAug supernet.

    Args:
        config (str): the teacher's config file (its ``model`` is built).
        checkpoint (str): its trained weights.
        temperature (float): softens both distributions (KL x T^2).
        weight (float): of the KD loss (``loss_kd``), next to the label
            loss.
        wide (bool): also distill into NetAug's wide pass.

    The teacher receives the student's preprocessed inputs, so both must
    use the same normalisation (their configs' ``data_preprocessor``).
    """

    def __init__(self, config: str, checkpoint: str,
                 temperature: float = 1.0, weight: float = 1.0,
                 wide: bool = False):
        for field, path in (('config', config), ('checkpoint', checkpoint)):
            if not isinstance(path, str) or not osp.isfile(path):
                raise FileNotFoundError(
                    f'distill.{field}: {path!r} is not a file; give the '
                    f"teacher's training {field} (train it first, e.g. "
                    'python tools/train.py <teacher config>)')
        if not temperature > 0 or not weight >= 0:
            raise ValueError('distill.temperature must be > 0 and '
                             f'distill.weight >= 0, got {temperature!r}, '
                             f'{weight!r}')
        cfg = Config.fromfile(config)
        cfg.model.pop('distill', None)  # a teacher learns from no one here
        self.model = build_model(cfg)
        load_checkpoint(self.model, checkpoint, map_location='cpu',
                        strict=True, logger='silent')
        set_base(self.model)
        self.model.eval()
        self.model.requires_grad_(False)
        self.temperature = float(temperature)
        self.weight = float(weight)
        self.wide = bool(wide)
        self._cache: Optional[tuple] = None

    def _apply(self, fn, *args, **kwargs):
        self.model._apply(fn, *args, **kwargs)
        self._cache = None

    @torch.no_grad()
    def logits(self, inputs: torch.Tensor) -> torch.Tensor:
        """The teacher's logits, computed once per batch: the NetAug step
        hands both passes the same preprocessed tensor."""
        if self._cache is None or self._cache[0] is not inputs:
            self.model.eval()
            self._cache = (inputs, self.model._forward(inputs))
        return self._cache[1]

    def loss(self, inputs: torch.Tensor,
             student_logits: torch.Tensor) -> torch.Tensor:
        t = self.temperature
        target = F.softmax(self.logits(inputs).float() / t, dim=1)
        log_prob = F.log_softmax(student_logits.float() / t, dim=1)
        kd = F.kl_div(log_prob, target, reduction='batchmean') * (t * t)
        return self.weight * kd
