"""What a NetAug module shares with its stock twin: init and weight shapes.

Every NetAug backbone, neck and head names its stock twin (``stock_type``,
the class the exported config uses) and the arguments only it has
(``netaug_args``). The twin, built from the same arguments, tells:

* how the base network starts. The supernet is allocated at max width and
  initialised with the reference rule (kaiming-uniform, a=sqrt(5), on the
  max fan-in), while mmdet initialises its layers kaiming-normal on the
  base fan-out: 5-17x larger weights on MobileNetV2. A NetAug run and its
  baseline twin would differ by more than NetAug. ``init_weights`` therefore
  draws the base slice as the stock twin draws its weights (the wide
  channels keep the reference init).
* which checkpoint shapes are valid: the supernet's own, the base
  network's (a stock or exported checkpoint), or, for a module whose output
  stages keep base width (``augment_outputs=False``), those of the same
  supernet with its outputs augmented too (a NetAug-pretrained classifier's
  backbone): their leading slice is taken. Anything else is refused with
  the key and the three shapes, instead of being padded silently.
"""
from typing import Dict

import torch
from mmdet.registry import MODELS as MMDET_MODELS


def _is_pretrained(init_cfg) -> bool:
    cfgs = init_cfg if isinstance(init_cfg, (list, tuple)) else [init_cfg]
    return any(
        isinstance(c, dict) and c.get('type') == 'Pretrained' for c in cfgs)


class StockTwinMixin:
    """Mixin (before ``BaseModule`` or the stock class) of NetAug modules.

    Needs the class attributes ``stock_type`` and ``netaug_args``. The
    constructor arguments are recorded in ``__new__`` so the twin can be
    rebuilt from them without each subclass saving them by hand.
    """

    def __new__(cls, *args, **kwargs):
        self = super().__new__(cls)
        object.__setattr__(self, '_stock_twin_args', (args, dict(kwargs)))
        return self

    def build_stock_twin(self):
        """The stock module this supernet exports to, freshly built."""
        args, kwargs = self.__dict__.get('_stock_twin_args', ((), {}))
        kwargs = {
            k: v
            for k, v in kwargs.items() if k not in type(self).netaug_args
        }
        cls = MMDET_MODELS.get(type(self).stock_type)
        if cls is None:
            raise KeyError(f'{type(self).__name__}: stock type '
                           f'{type(self).stock_type!r} is not registered')
        return cls(*args, **kwargs)

    def stock_shapes(self) -> Dict[str, torch.Size]:
        """State-dict shapes of the base network (cached)."""
        shapes = self.__dict__.get('_stock_shapes')
        if shapes is None:
            try:
                with torch.device('meta'):
                    twin = self.build_stock_twin()
            except Exception:  # a layer that cannot be built on 'meta'
                twin = self.build_stock_twin()
            shapes = {k: v.shape for k, v in twin.state_dict().items()}
            object.__setattr__(self, '_stock_shapes', shapes)
        return shapes

    def _augmented_slice(self, name: str, src: torch.Tensor,
                         own: torch.Tensor) -> bool:
        """Whether ``src`` is ``name`` of this supernet built with
        ``augment_outputs=True`` (each dimension ours or that one's)."""
        if 'augment_outputs' not in type(self).netaug_args or getattr(
                self, 'augment_outputs', True):
            return False
        shapes = self.__dict__.get('_augmented_shapes')
        if shapes is None:
            args, kwargs = self.__dict__.get('_stock_twin_args', ((), {}))
            with torch.device('meta'):
                twin = type(self)(*args, **dict(kwargs, augment_outputs=True))
            shapes = {k: v.shape for k, v in twin.state_dict().items()}
            object.__setattr__(self, '_augmented_shapes', shapes)
        wide = shapes.get(name)
        return (wide is not None and src.dim() == own.dim() == len(wide)
                and all(s in (o, w)
                        for s, o, w in zip(src.shape, own.shape, wide)))

    def loads_pretrained(self) -> bool:
        return _is_pretrained(getattr(self, 'init_cfg', None))

    def init_weights(self):
        """Reference init for the supernet, then the stock twin's init for
        the base slice (unless pretrained weights are loaded)."""
        super().init_weights()
        if self.loads_pretrained():
            return
        twin = self.build_stock_twin()
        twin.init_weights()
        self.load_state_dict(twin.state_dict(), strict=True)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        base = self.stock_shapes()
        for name, tensor in self.state_dict().items():
            src = state_dict.get(prefix + name)
            if not isinstance(src, torch.Tensor) or src.shape in (
                    tensor.shape, base.get(name)) or self._augmented_slice(
                        name, src, tensor):
                continue
            raise ValueError(
                f'checkpoint tensor {prefix + name} has shape '
                f'{tuple(src.shape)}, which is neither the supernet\'s '
                f'{tuple(tensor.shape)} nor the base network\'s '
                f'{tuple(base[name]) if name in base else None} '
                f'({type(self).__name__}). It was trained with other widths '
                '(widen_factor, channels) or other width/expand factor '
                'lists: use the config it was trained with.')
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
