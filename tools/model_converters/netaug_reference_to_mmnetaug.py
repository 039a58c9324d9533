"""Convert an ImageNet checkpoint of the reference NetAug code to mmnetaug.

    python tools/model_converters/netaug_reference_to_mmnetaug.py \\
        SRC DST --arch ARCH

``SRC`` is a checkpoint of a tiny model trained by the reference code
(mit-han-lab/tinyml, ``netaug``), plain or wrapped in ``state_dict``, with or
without DDP's ``module.``; nothing is downloaded. ``ARCH`` is the reference
``--model`` name: ``tinymbv2``, ``mcunet``, ``proxylessnas-0.35``,
``mbv3-0.35`` or ``mbv2-0.35`` (the suffix is the width multiplier).

``DST`` is an mmengine checkpoint, ``{'state_dict': ..., 'meta': ...}``, in
the layout of the reference classifier (``mmnetaug.TinyClassifier``):
``backbone.*`` for the backbone (mmnetaug's ``TinyMobileNetV2``, ``MCUNet``,
``ProxylessNASMobile``, ``MobileNetV3Large``, or mmdet's ``MobileNetV2``),
``pre_logits.*`` / ``fc.*`` for the classifier. The backbone part is checked
to load strictly into that backbone before anything is written. A detector
loads it with mmengine's standard init, into the static backbone or its
NetAug twin (whose base slice takes the weights)::

    model = dict(backbone=dict(init_cfg=dict(
        type='Pretrained', checkpoint='DST', prefix='backbone.')))

The reference models are ``backbone.input_stem`` (stem conv + separable
block), ``backbone.stages`` and ``head`` (head blocks, pooling, classifier),
built from ``ConvLayer`` (``conv``/``norm``) and ``ResidualBlock``
(``conv``/``shortcut``); ours use mmdet's MobileNetV2 names. The mapping is
by name; shapes are checked by the strict load.
"""
import argparse
import os.path as osp
import re
import sys
from typing import Dict, Tuple

sys.path.insert(0,
                osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import mmdet.models  # noqa: E402,F401  (registers mmdet's backbones)
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
from mmdet.registry import MODELS  # noqa: E402
from mmengine.runner import CheckpointLoader, save_checkpoint  # noqa: E402

import mmnetaug  # noqa: E402,F401  (registers mmnetaug's backbones)

# reference --model name (without the width suffix) -> head layout:
# head.op_list index -> (part, our prefix); part: 'block', 'conv',
# 'pre_logits', 'fc'
_MBV2_HEAD = {
    0: ('block', 'layer7.0.'),
    1: ('conv', 'conv2.'),
    3: ('fc', 'fc.')
}
ARCH_HEADS = {
    'tinymbv2': _MBV2_HEAD,
    'proxylessnas': _MBV2_HEAD,
    'mbv2': _MBV2_HEAD,
    'mcunet': {
        0: ('block', 'layer7.0.'),
        2: ('fc', 'fc.')
    },
    'mbv3': {
        0: ('conv', 'conv2.'),
        2: ('pre_logits', 'pre_logits.'),
        3: ('fc', 'fc.')
    },
}
# reference --model name -> (backbone type, whether it takes widen_factor)
ARCH_BACKBONES = {
    'tinymbv2': ('mmnetaug.TinyMobileNetV2', False),
    'mcunet': ('mmnetaug.MCUNet', False),
    'proxylessnas': ('mmnetaug.ProxylessNASMobile', True),
    'mbv3': ('mmnetaug.MobileNetV3Large', True),
    'mbv2': ('mmdet.MobileNetV2', True),
}

_BLOCK_PARTS = (('inverted_conv.', 'expand_conv.',
                 True), ('depth_conv.', 'depthwise_conv.',
                         True), ('point_conv.', 'linear_conv.', True),
                ('se_layer.reduce_conv.', 'se.conv1.conv.',
                 False), ('se_layer.expand_conv.', 'se.conv2.conv.', False))
_STAGE = re.compile(r'backbone\.stages\.(\d+)\.op_list\.(\d+)\.conv\.(.*)')
_HEAD = re.compile(r'head\.op_list\.(\d+)\.(.*)')


def check_arch(arch: str) -> str:
    """``'proxylessnas-0.35'`` -> ``'proxylessnas'``; refuse unknown ones."""
    name = str(arch).split('-')[0]
    if name not in ARCH_HEADS:
        raise ValueError(f'unknown reference arch {arch!r}; expected one of '
                         f'{sorted(ARCH_HEADS)} (the reference --model name, '
                         'a width suffix such as "-0.35" is allowed)')
    return name


def _conv_layer(rest: str) -> str:
    """``ConvLayer`` keys -> ``ConvModule`` keys (``norm`` -> ``bn``)."""
    if rest.startswith('norm.'):
        return 'bn.' + rest[len('norm.'):]
    if rest.startswith('conv.'):
        return rest
    raise KeyError(rest)


def _block(rest: str) -> str:
    """Keys inside an (Se)InvertedBlock / DsConvLayer."""
    for ref, ours, is_conv_layer in _BLOCK_PARTS:
        if rest.startswith(ref):
            tail = rest[len(ref):]
            return ours + (_conv_layer(tail) if is_conv_layer else tail)
    raise KeyError(rest)


def reference_key_to_ours(key: str, arch: str) -> Tuple[str, str]:
    """Map one reference key; returns ``(part, key)``.

    ``part`` is ``'backbone'`` (key relative to the backbone) or
    ``'classifier'`` (``pre_logits.*``, ``fc.*``). Raises ``KeyError`` for
    keys the layout does not have.
    """
    arch = check_arch(arch)
    key = key[len('module.'):] if key.startswith('module.') else key
    try:
        if key.startswith('backbone.input_stem.op_list.0.'):
            return 'backbone', 'conv1.' + _conv_layer(
                key[len('backbone.input_stem.op_list.0.'):])
        if key.startswith('backbone.input_stem.op_list.1.conv.'):
            return 'backbone', 'layer1.0.' + _block(
                key[len('backbone.input_stem.op_list.1.conv.'):])
        match = _STAGE.fullmatch(key)
        if match:
            stage, block, rest = match.groups()
            return 'backbone', (f'layer{int(stage) + 2}.{block}.' +
                                _block(rest))
        match = _HEAD.fullmatch(key)
        if match and int(match.group(1)) in ARCH_HEADS[arch]:
            part, prefix = ARCH_HEADS[arch][int(match.group(1))]
            rest = match.group(2)
            if part == 'block' and rest.startswith('conv.'):
                return 'backbone', prefix + _block(rest[len('conv.'):])
            if part == 'conv':
                return 'backbone', prefix + _conv_layer(rest)
            if part == 'pre_logits':
                return 'classifier', prefix + _conv_layer(rest)
            if part == 'fc' and rest.startswith('linear.'):
                return 'classifier', prefix + rest[len('linear.'):]
    except KeyError:
        pass
    raise KeyError(f'{key!r} is not a key of a reference {arch!r} model')


def convert_reference_state_dict(
        state_dict: Dict[str, torch.Tensor],
        arch: str) -> Tuple[Dict[str, torch.Tensor], Dict[str, torch.Tensor]]:
    """Reference state dict -> ``(backbone_state, classifier_state)``."""
    backbone, classifier = {}, {}
    unknown = []
    for key, value in state_dict.items():
        try:
            part, ours = reference_key_to_ours(key, arch)
        except KeyError:
            unknown.append(key)
            continue
        (backbone if part == 'backbone' else classifier)[ours] = value
    if unknown:
        raise ValueError(
            f'{len(unknown)} keys of the checkpoint are not in the reference '
            f'{check_arch(arch)!r} layout, e.g. {unknown[:3]}; check that the '
            'checkpoint was trained as this architecture')
    return backbone, classifier


def read_reference_checkpoint(filename: str) -> Dict[str, torch.Tensor]:
    """The state dict of a reference checkpoint file (plain or wrapped)."""
    try:
        ckpt = CheckpointLoader.load_checkpoint(filename, map_location='cpu')
    except FileNotFoundError:
        raise FileNotFoundError(
            f'reference checkpoint {filename!r} not found; download it '
            'yourself (see the NetAug README) and pass its local path'
        ) from None
    if isinstance(ckpt, dict) and isinstance(ckpt.get('state_dict'), dict):
        ckpt = ckpt['state_dict']
    if not isinstance(ckpt, dict) or not all(
            isinstance(v, torch.Tensor) for v in ckpt.values()):
        raise ValueError(f'{filename} holds no state dict of tensors')
    return ckpt


def build_backbone(arch: str) -> Tuple[nn.Module, dict]:
    """The static backbone a reference arch converts to, and its config."""
    name = check_arch(arch)
    backbone_type, widened = ARCH_BACKBONES[name]
    cfg = dict(type=backbone_type)
    suffix = str(arch)[len(name):]
    if suffix:
        if not widened or not re.fullmatch(r'-(\d+\.?\d*|\.\d+)', suffix):
            raise ValueError(f'reference arch {arch!r}: {name} takes ' +
                             ('a width suffix such as "-0.35"'
                              if widened else 'no width suffix'))
        cfg['widen_factor'] = float(suffix[1:])
    return MODELS.build(cfg), cfg


def load_state_strict(module: nn.Module, state: dict, what: str) -> None:
    """``load_state_dict(strict=True)`` with an error that says what to do."""
    own = module.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    if missing or unexpected:
        raise ValueError(
            f'{what} does not fit {type(module).__name__}: missing keys '
            f'{missing[:3]}, unexpected keys {unexpected[:3]}; check the arch '
            'and widen_factor the checkpoint was trained with')
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as err:
        raise ValueError(
            f'{what} does not fit {type(module).__name__} (check the '
            f'widen_factor): {err}') from None


def convert(src: str, dst: str, arch: str) -> dict:
    """Convert ``src`` and write ``dst``; returns the checkpoint written."""
    backbone, backbone_cfg = build_backbone(arch)
    backbone_state, classifier_state = convert_reference_state_dict(
        read_reference_checkpoint(src), arch)
    load_state_strict(backbone, backbone_state,
                      f'reference {check_arch(arch)!r} checkpoint {src}')
    state_dict = {f'backbone.{k}': v for k, v in backbone_state.items()}
    state_dict.update(classifier_state)
    checkpoint = dict(
        state_dict=state_dict,
        meta=dict(
            source=osp.basename(src),
            reference_arch=str(arch),
            backbone=backbone_cfg,
            converter='tools/model_converters/'
            'netaug_reference_to_mmnetaug.py'))
    save_checkpoint(checkpoint, dst)
    return checkpoint


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='reference NetAug checkpoint (.pth)')
    parser.add_argument('dst', help='mmengine checkpoint to write')
    parser.add_argument(
        '--arch',
        required=True,
        help='reference --model name: tinymbv2, mcunet, proxylessnas-0.35, '
        'mbv3-0.35, mbv2-0.35')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        checkpoint = convert(args.src, args.dst, args.arch)
    except (ValueError, FileNotFoundError) as e:
        sys.exit(f'error: {e}')
    backbone = checkpoint['meta']['backbone']
    print(f'wrote {args.dst}: {len(checkpoint["state_dict"])} tensors, '
          f'backbone {backbone} (strict load checked). Load it with\n'
          f"  init_cfg=dict(type='Pretrained', checkpoint='{args.dst}', "
          "prefix='backbone.')")
    return checkpoint


if __name__ == '__main__':
    main()
