"""Export a NetAug supernet as a plain mmdet model: config + weights.

The base network is the leading slice of every dynamic layer (or, after a
concatenation, of every part), so export = set base widths, run one forward
so each layer records its active widths, and replace each dynamic layer by a
static one holding its slice. The config gets the stock types back; the
resulting files load without mmnetaug.
"""
import copy
import os
import os.path as osp
import tempfile
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner.checkpoint import _load_checkpoint

from mmnetaug.ops import DYNAMIC_LAYERS
from mmnetaug.registry import HOOKS, LOOPS, MODELS
from mmnetaug.space import is_netaug_model, set_base, set_config, unwrap

_SCOPE = 'mmnetaug.'


def _mmnetaug_class(type_name):
    """The mmnetaug class a config ``type`` names, or None."""
    if not isinstance(type_name, str):
        return type_name if isinstance(type_name, type) else None
    name = type_name[len(_SCOPE):] if type_name.startswith(_SCOPE) else (
        type_name if '.' not in type_name else None)
    if name is None:
        return None
    for registry in (MODELS, LOOPS, HOOKS):
        cls = registry.module_dict.get(name)
        if cls is not None:
            return cls
    return None


def _netaug_class(type_name):
    """The NetAug class (one with a stock twin) a ``type`` names, or None."""
    cls = _mmnetaug_class(type_name)
    return cls if hasattr(cls, 'stock_type') else None


def _strip(node, replaced: list):
    """Recursively swap NetAug types for their stock twins, and drop the
    arguments only training needs (``train_only_args``: a KD teacher)."""
    if isinstance(node, dict):
        train_only = getattr(_mmnetaug_class(node.get('type')),
                             'train_only_args', ())
        node = {k: v for k, v in node.items() if k not in train_only}
        cls = _netaug_class(node.get('type'))
        if cls is not None:
            if cls.stock_type is None:
                replaced.append(cls.__name__)
                return None
            node = {
                k: v
                for k, v in node.items() if k not in cls.netaug_args
            }
            node['type'] = cls.stock_type
            replaced.append(cls.__name__)
        out = {}
        for key, value in node.items():
            value = _strip(value, replaced)
            if value is not None or node[key] is None:
                out[key] = value
        return out
    if isinstance(node, (list, tuple)):
        items = [_strip(v, replaced) for v in node]
        items = [
            v for v, orig in zip(items, node) if v is not None or orig is None
        ]
        return type(node)(items)
    return node


def export_config(cfg: Config,
                  require_netaug: bool = True) -> Tuple[Config, list]:
    """The stock-only twin of a NetAug config, and the replaced type names.

    ``require_netaug=False`` also takes a config without NetAug modules
    (it then only loses its training-only arguments, e.g. a KD teacher).
    """
    replaced = []
    data = _strip(cfg.to_dict(), replaced)
    model_replaced = []
    _strip(cfg.to_dict().get('model', {}), model_replaced)
    if not model_replaced and require_netaug:
        raise ValueError(
            f'config {cfg.filename} has no NetAug modules in `model`: '
            'nothing to export (a stock config can be used as it is); pass '
            'the config the NetAug model was trained with')
    imports = data.get('custom_imports')
    if imports:
        mods = [m for m in imports.get('imports', [])
                if not m.split('.')[0] == 'mmnetaug']
        if mods:
            data['custom_imports'] = dict(imports, imports=mods)
        else:
            data.pop('custom_imports')
    return Config(data), replaced


def to_static(model: nn.Module, input_shape=(1, 3, 64, 64),
              config: Optional[Sequence[int]] = None) -> nn.Module:
    """A copy of ``model`` with only static torch layers, at base width or
    at the widths of ``config`` (from ``space.current_config``)."""
    model = copy.deepcopy(unwrap(model)).cpu()
    if config is None:
        set_base(model)
    else:
        set_config(model, config)
    model.eval()
    with torch.no_grad():
        run_forward(model, torch.zeros(input_shape))
    replace_dynamic_layers(model)
    return model


def replace_dynamic_layers(module: nn.Module) -> None:
    """In place: each dynamic layer becomes the static layer of its widths
    in the last forward pass."""
    for name, child in module.named_children():
        if isinstance(child, DYNAMIC_LAYERS):
            setattr(module, name, child.to_static())
        else:
            replace_dynamic_layers(child)


def run_forward(model: nn.Module, inputs: torch.Tensor):
    """Tensor forward of a detector (``_forward``) or of a plain module."""
    forward = getattr(model, '_forward', None)
    if forward is not None:
        return forward(inputs)
    return model(inputs)


def flatten_outputs(outputs) -> list:
    if isinstance(outputs, torch.Tensor):
        return [outputs]
    flat = []
    for item in outputs:
        flat.extend(flatten_outputs(item))
    return flat


def max_abs_diff(out_a, out_b) -> float:
    flat_a, flat_b = flatten_outputs(out_a), flatten_outputs(out_b)
    if len(flat_a) != len(flat_b):
        raise ValueError('outputs differ in structure')
    return max(float((a - b).abs().max()) for a, b in zip(flat_a, flat_b))


def load_supernet_checkpoint(model: nn.Module, checkpoint: str) -> dict:
    """Load a NetAug training checkpoint strictly: shapes must be max widths.

    A stock or exported checkpoint holds base widths only; it is refused
    here (dynamic layers would otherwise accept it as a leading slice).
    """
    ckpt = _load_checkpoint(checkpoint, map_location='cpu')
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else None
    if not isinstance(state, dict):
        raise ValueError(f'{checkpoint} holds no state dict')
    state = {
        (k[len('module.'):] if k.startswith('module.') else k): v
        for k, v in state.items()
    }
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    mismatched = [(k, tuple(state[k].shape), tuple(v.shape))
                  for k, v in own.items()
                  if k in state and tuple(state[k].shape) != tuple(v.shape)]
    if missing or unexpected or mismatched:
        detail = (f'{mismatched[0][0]} has shape {mismatched[0][1]}, the '
                  f'supernet has {mismatched[0][2]}' if mismatched else
                  f'missing keys {missing[:3]}, unexpected keys '
                  f'{unexpected[:3]}')
        raise ValueError(
            f'{checkpoint} is not a NetAug supernet checkpoint of this '
            f'config ({detail}). Export takes the checkpoint written by '
            'NetAug training; a stock or already exported checkpoint needs '
            'no export: use it with the stock config.')
    model.load_state_dict(state, strict=True)
    return ckpt.get('meta', {}) if isinstance(ckpt, dict) else {}


def build_detector(cfg: Config) -> nn.Module:
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    import mmdet.models  # noqa: F401  (registers mmdet's modules)
    from mmdet.registry import MODELS as MMDET_MODELS
    return MMDET_MODELS.build(copy.deepcopy(cfg.model))


def export(cfg: Config,
           checkpoint: Optional[str],
           out_dir: str,
           name: Optional[str] = None,
           model: Optional[nn.Module] = None,
           atol: float = 1e-5) -> dict:
    """Write ``out_dir/<name>.py`` (stock config) and ``<name>.pth``.

    Either ``checkpoint`` (a NetAug training checkpoint) or an in-memory
    ``model`` is exported. The stock model is built from the written config,
    loaded strictly and compared with the supernet at base width before
    anything is written; on any error nothing is written.
    """
    stock_cfg, _ = export_config(cfg)
    if model is None:
        model = build_detector(cfg)
        if not is_netaug_model(model):
            raise ValueError(f'config {cfg.filename} builds a model without '
                             'NetAug modules; nothing to export')
        load_supernet_checkpoint(model, checkpoint)
    model = unwrap(model)
    static = to_static(model)
    state = static.state_dict()

    stock = build_detector(stock_cfg)
    stock.load_state_dict(state, strict=True)
    stock.eval()
    supernet = copy.deepcopy(model).cpu().eval()
    set_base(supernet)
    inputs = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        diff = max_abs_diff(
            run_forward(supernet, inputs), run_forward(stock, inputs))
    if diff > atol:
        raise RuntimeError(f'exported model differs from the supernet at '
                           f'base width by {diff:.3g} > {atol}')

    name = name or osp.splitext(osp.basename(cfg.filename or 'model'))[0]
    os.makedirs(out_dir, exist_ok=True)
    cfg_path = osp.join(out_dir, f'{name}.py')
    ckpt_path = osp.join(out_dir, f'{name}.pth')
    with tempfile.TemporaryDirectory(dir=out_dir) as tmp:
        tmp_cfg, tmp_ckpt = osp.join(tmp, 'cfg.py'), osp.join(tmp, 'w.pth')
        stock_cfg.dump(tmp_cfg)
        torch.save(
            dict(
                state_dict=state,
                meta=dict(exported_from=checkpoint or 'memory',
                          source_config=cfg.filename)), tmp_ckpt)
        os.replace(tmp_cfg, cfg_path)
        os.replace(tmp_ckpt, ckpt_path)
    n_params = sum(p.numel() for p in stock.parameters())
    return dict(config=cfg_path, checkpoint=ckpt_path, max_abs_diff=diff,
                params=n_params)
