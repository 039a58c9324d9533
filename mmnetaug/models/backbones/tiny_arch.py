"""Channel tables of the NetAug paper's tiny ImageNet models.

The numbers and rounding rules are those of the reference code
(mit-han-lab/tinyml, ``netaug/models/base``): stage widths are
``make_divisible(width x multiplier, 8)``, hidden widths
``make_divisible(round(expand x input width), 8)`` (MobileNetV3: of the
listed hidden width x multiplier), SE mid widths
``max(make_divisible(hidden / 4, 8), 16)``, and a block adds an identity
shortcut only when it is not the first of its stage. Both the static
backbones and their NetAug twins are built from these specs, so their
layouts cannot drift apart.

Layout (mmdet ``MobileNetV2`` names): ``conv1`` stem conv, ``layer1`` the
stem's depthwise-separable block, ``layer2``.. the stages, then the
reference "head" blocks (``layer7`` inverted block, ``conv2`` 1x1 conv)
where the model has them. Everything after global pooling is the ImageNet
classifier, which is not part of the backbone.
"""
from dataclasses import dataclass
from typing import Optional, Tuple

from mmdet.models.utils import make_divisible

RELU = dict(type='ReLU')
HSWISH = dict(type='HSwish')


@dataclass(frozen=True)
class BlockSpec:
    in_channels: int
    out_channels: int
    mid_channels: int
    kernel_size: int
    stride: int
    act_cfg: dict
    with_expand_conv: bool = True
    with_res_shortcut: bool = False
    se_channels: int = 0


@dataclass(frozen=True)
class TinyNetSpec:
    """One model: stem conv, layers of blocks, optional final 1x1 conv.

    ``classifier_channels``/``pre_logits_channels``/``pre_logits_act`` only
    describe the ImageNet classifier (for counting and checkpoints).
    """
    name: str
    stem_channels: int
    stem_act: dict
    layers: Tuple[Tuple[BlockSpec, ...], ...]
    conv2_channels: Optional[int]
    conv2_act: Optional[dict]
    pre_logits_channels: Optional[int] = None
    pre_logits_act: Optional[dict] = None

    @property
    def layer_names(self) -> Tuple[str, ...]:
        names = [f'layer{i + 1}' for i in range(len(self.layers))]
        return tuple(names + (['conv2'] if self.conv2_channels else []))

    @property
    def out_channels(self) -> Tuple[int, ...]:
        """Output width of each entry of ``layer_names``."""
        widths = [layer[-1].out_channels for layer in self.layers]
        return tuple(widths +
                     ([self.conv2_channels] if self.conv2_channels else []))

    @property
    def classifier_channels(self) -> int:
        return self.pre_logits_channels or self.out_channels[-1]


def _ds_block(in_channels, out_channels, act_cfg, shortcut=False):
    """The stem's depthwise-separable block (no expand conv)."""
    return BlockSpec(
        in_channels,
        out_channels,
        in_channels,
        3,
        1,
        act_cfg,
        with_expand_conv=False,
        with_res_shortcut=shortcut)


def _stage(in_channels,
           out_channels,
           stride,
           kernels,
           act_cfg,
           mids=None,
           expands=None,
           se=False):
    """Blocks of one stage; hidden widths from ``mids`` or ``expands``."""
    blocks = []
    for i, kernel in enumerate(kernels):
        if mids is not None:
            mid = mids[i]
        else:
            mid = make_divisible(round(expands[i] * in_channels), 8)
        blocks.append(
            BlockSpec(
                in_channels,
                out_channels,
                mid,
                kernel,
                stride if i == 0 else 1,
                act_cfg,
                with_res_shortcut=(i > 0 and in_channels == out_channels),
                se_channels=max(make_divisible(mid / 4, 8), 16) if se else 0))
        in_channels = out_channels
    return tuple(blocks)


def _head_block(in_channels, out_channels, kernel_size, mid, act_cfg):
    return (BlockSpec(in_channels, out_channels, mid, kernel_size, 1,
                      act_cfg), )


def _widths(base, widen_factor):
    return [make_divisible(c * widen_factor, 8) for c in base]


def _check_widen(widen_factor):
    if not isinstance(widen_factor, (int, float)) or widen_factor <= 0:
        raise ValueError(f'widen_factor must be a number > 0, got '
                         f'{widen_factor!r}; the paper uses 0.35')


def mobilenet_v2_spec(widen_factor: float = 0.35,
                      act_cfg: dict = dict(type='ReLU6'),
                      head_channels: Optional[Tuple[int, int]] = None,
                      name: str = 'mbv2') -> TinyNetSpec:
    """MobileNetV2 (the reference's; equal to mmdet's at x0.35)."""
    _check_widen(widen_factor)
    widths = _widths((32, 16, 24, 32, 64, 96, 160), widen_factor)
    head = head_channels or (make_divisible(320 * widen_factor, 8),
                             max(make_divisible(1280 * widen_factor, 8), 1280))
    layers = [(_ds_block(widths[0], widths[1], act_cfg), )]
    in_channels = widths[1]
    for (n, stride), out in zip(((2, 2), (3, 2), (4, 2), (3, 1), (3, 2)),
                                widths[2:]):
        layers.append(
            _stage(
                in_channels, out, stride, [3] * n, act_cfg, expands=[6] * n))
        in_channels = out
    layers.append(
        _head_block(in_channels, head[0], 3, round(in_channels * 6), act_cfg))
    return TinyNetSpec(name, widths[0], act_cfg, tuple(layers), head[1],
                       act_cfg)


def tiny_mobilenet_v2_spec(act_cfg: dict = dict(type='ReLU6')):
    """MobileNetV2-Tiny: MobileNetV2 x0.35 with a 112/448 head."""
    return mobilenet_v2_spec(0.35, act_cfg, (112, 448), name='tinymbv2')


def proxylessnas_spec(
    widen_factor: float = 0.35,
    act_cfg: dict = dict(type='ReLU6')) -> TinyNetSpec:
    """ProxylessNAS-Mobile (searched expand ratios and kernel sizes)."""
    _check_widen(widen_factor)
    widths = _widths((32, 16, 32, 40, 80, 96, 192), widen_factor)
    head = (make_divisible(320 * widen_factor, 8),
            max(make_divisible(1280 * widen_factor, 8), 1280))
    # yapf: disable
    stages = (  # expand ratios, kernel sizes, stride of the first block
        ((3, 3), (5, 3), 2),
        ((3, 3, 3, 3), (7, 3, 5, 5), 2),
        ((6, 3, 3, 3), (7, 5, 5, 5), 2),
        ((6, 3, 3, 3), (5, 5, 5, 5), 1),
        ((6, 6, 3, 3), (7, 7, 7, 7), 2))
    # yapf: enable
    layers = [(_ds_block(widths[0], widths[1], act_cfg), )]
    in_channels = widths[1]
    for (expands, kernels, stride), out in zip(stages, widths[2:]):
        layers.append(
            _stage(
                in_channels, out, stride, kernels, act_cfg, expands=expands))
        in_channels = out
    layers.append(
        _head_block(in_channels, head[0], 7, round(in_channels * 6), act_cfg))
    return TinyNetSpec('proxylessnas', widths[0], act_cfg, tuple(layers),
                       head[1], act_cfg)


def mcunet_spec(act_cfg: dict = dict(type='ReLU6')) -> TinyNetSpec:
    """MCUNet (the 0.74M / 81.8M-MAC ImageNet model of the paper)."""
    widths = (16, 8, 16, 24, 40, 48, 96)
    # yapf: disable
    stages = (  # expand ratios, kernel sizes, stride of the first block
        ((3, 5, 5, 4), (7, 3, 7, 5), 2),
        ((5, 5, 5), (5, 5, 5), 2),
        ((5, 6, 4), (3, 7, 5), 2),
        ((5, 5, 5), (5, 7, 3), 1),
        ((6, 5, 4), (3, 7, 3), 2))
    # yapf: enable
    layers = [(_ds_block(widths[0], widths[1], act_cfg), )]
    in_channels = widths[1]
    for (expands, kernels, stride), out in zip(stages, widths[2:]):
        layers.append(
            _stage(
                in_channels, out, stride, kernels, act_cfg, expands=expands))
        in_channels = out
    layers.append(_head_block(in_channels, 160, 7, 480, act_cfg))
    return TinyNetSpec('mcunet', widths[0], act_cfg, tuple(layers), None, None)


def mobilenet_v3_spec(widen_factor: float = 0.35) -> TinyNetSpec:
    """MobileNetV3-Large (ReLU/h-swish and SE per stage, fixed by design)."""
    _check_widen(widen_factor)
    widths = _widths((16, 24, 40, 80, 112, 160), widen_factor)
    head = (make_divisible(960 * widen_factor, 8),
            max(make_divisible(1280 * widen_factor, 8), 1280))
    # yapf: disable
    stages = (  # hidden widths at x1, kernel, stride, activation, SE
        ((64, 72), 3, 2, RELU, False),
        ((72, 120, 120), 5, 2, RELU, True),
        ((240, 200, 184, 184), 3, 2, HSWISH, False),
        ((480, 672), 3, 1, HSWISH, True),
        ((672, 960, 960), 5, 2, HSWISH, True))
    # yapf: enable
    layers = [(_ds_block(widths[0], widths[0], RELU, shortcut=True), )]
    in_channels = widths[0]
    for (mids, kernel, stride, act, se), out in zip(stages, widths[1:]):
        mids = [make_divisible(round(m * widen_factor), 8) for m in mids]
        layers.append(
            _stage(
                in_channels,
                out,
                stride, [kernel] * len(mids),
                act,
                mids=mids,
                se=se))
        in_channels = out
    return TinyNetSpec('mbv3', widths[0], HSWISH, tuple(layers), head[0],
                       HSWISH, head[1], HSWISH)
