"""Load ImageNet checkpoints of the reference NetAug code (tinyml/netaug).

The reference models are ``backbone.input_stem`` (stem conv + separable
block), ``backbone.stages`` and ``head`` (head blocks, pooling, classifier),
built from ``ConvLayer`` (``conv``/``norm``) and ``ResidualBlock``
(``conv``/``shortcut``). Ours use mmdet's MobileNetV2 names. The mapping is
by name only; shapes are then checked by ``load_state_dict``. Nothing is
downloaded: the user passes the path of a checkpoint they have.
"""
import re
from typing import Dict, Tuple

import torch
import torch.nn as nn

# reference ``--model`` name (without the width suffix) -> head layout
ARCH_HEADS = {
    # head.op_list index -> (part, our prefix); part: 'block', 'conv', 'fc'
    'mbv2': {
        0: ('block', 'layer7.0.'),
        1: ('conv', 'conv2.'),
        3: ('fc', 'fc.')
    },
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
ARCH_HEADS['tinymbv2'] = ARCH_HEADS['proxylessnas'] = ARCH_HEADS['mbv2']

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
    ``'classifier'`` (key relative to ``TinyImageNetClassifier``'s head:
    ``pre_logits.*``, ``fc.*``). Raises ``KeyError`` for keys the layout
    does not have.
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
        ckpt = torch.load(filename, map_location='cpu', weights_only=True)
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


def load_reference_checkpoint(backbone: nn.Module, filename: str,
                              arch: str) -> Dict[str, torch.Tensor]:
    """Load a reference ImageNet checkpoint into a tiny backbone.

    Works for the static backbones and their NetAug twins (whose dynamic
    layers take the base weights into their leading channels and keep their
    own init for the wide ones), and for mmdet's MobileNetV2 with
    ``arch='mbv2'``. Returns the classifier weights, which a detection
    backbone does not use.
    """
    state = read_reference_checkpoint(filename)
    backbone_state, classifier_state = convert_reference_state_dict(
        state, arch)
    load_state_strict(backbone, backbone_state,
                      f'reference {check_arch(arch)!r} checkpoint {filename}')
    return classifier_state
