"""The augmentation space: width choices and the model-level controller.

Every NetAug module (backbone, neck, head) owns ``WidthChoice`` knobs and
lists them in ``netaug_choices()``. A knob shared by several modules (e.g.
the width of a stage whose blocks add identity shortcuts) is the same object,
so it is sampled once. The controller below walks any model, finds the knobs
in module order and sets them all to base, to max, or to one random wide
configuration drawn from a ``torch.Generator``: the same generator state
gives the same configuration on every rank.
"""
from typing import Iterable, List, Optional, Sequence

import torch
import torch.nn as nn
from mmengine.model import BaseTTAModel, is_model_wrapper

WIDTH = 'width'
EXPAND = 'expand'


class WidthChoice:
    """One independently sampled knob: a channel width or an expand factor.

    ``choices[0]`` is the base (the stock network), ``choices[-1]`` the max.
    """

    __slots__ = ('choices', 'kind', 'index')

    def __init__(self, choices: Sequence, kind: str = WIDTH):
        if kind not in (WIDTH, EXPAND):
            raise ValueError(f'kind must be {WIDTH!r} or {EXPAND!r}, '
                             f'got {kind!r}')
        self.choices = tuple(choices)
        self.kind = kind
        self.index = 0

    @property
    def value(self):
        return self.choices[self.index]

    @property
    def base(self):
        return self.choices[0]

    @property
    def max(self):
        return self.choices[-1]

    @property
    def factor(self) -> float:
        return self.value / self.base

    def __repr__(self):
        return (f'WidthChoice({self.kind}, choices={self.choices}, '
                f'value={self.value})')


def check_factors(name: str, factors: Sequence[float]) -> tuple:
    """Validate a factor list such as ``width_factors``; return it as a tuple.

    The first factor is the base network, so the list must start at 1.0 and
    grow strictly: [1.0, 1.8, 2.6] means base, 1.8x and 2.6x wide.
    """
    fix = f'pass e.g. {name}=(1.0, 1.8, 2.6)'
    try:
        values = tuple(float(f) for f in factors)
    except (TypeError, ValueError):
        raise ValueError(f'{name} must be a list of numbers, got '
                         f'{factors!r}; {fix}') from None
    if not values:
        raise ValueError(f'{name} is empty; {fix}')
    if any(f < 1.0 for f in values):
        raise ValueError(f'{name}={list(values)} has values < 1.0; factors '
                         f'multiply the base width and must be >= 1.0; {fix}')
    if 1.0 not in values:
        raise ValueError(f'{name}={list(values)} lacks 1.0 (the base '
                         f'network); {fix}')
    if list(values) != sorted(set(values)):
        raise ValueError(f'{name}={list(values)} must be sorted ascending '
                         f'without repeats; {fix}')
    return values


def unwrap(model: nn.Module) -> nn.Module:
    """The detector inside DDP-like wrappers and test-time-augmentation
    models (``tools/test.py --tta`` wraps it in ``DetTTAModel``)."""
    while is_model_wrapper(model) or isinstance(model, BaseTTAModel):
        model = model.module
    return model


def netaug_choices(model: nn.Module) -> List[WidthChoice]:
    """All knobs of a model with a choice to make, each once, in order."""
    seen, knobs = set(), []
    for module in unwrap(model).modules():
        get = getattr(module, 'netaug_choices', None)
        if get is None:
            continue
        for knob in get():
            if id(knob) not in seen and len(knob.choices) > 1:
                seen.add(id(knob))
                knobs.append(knob)
    return knobs


def is_netaug_model(model: nn.Module) -> bool:
    return len(netaug_choices(model)) > 0


def _select(knobs: Iterable[WidthChoice], kinds: Optional[Sequence[str]]):
    return [k for k in knobs if kinds is None or k.kind in kinds]


def set_base(model: nn.Module) -> None:
    """Set every knob to the base (stock) network."""
    for knob in netaug_choices(model):
        knob.index = 0


def set_max(model: nn.Module) -> None:
    """Set every knob to its widest choice."""
    for knob in netaug_choices(model):
        knob.index = len(knob.choices) - 1


def sample_wide(model: nn.Module,
                generator: torch.Generator,
                kinds: Optional[Sequence[str]] = (WIDTH, EXPAND)) -> dict:
    """Draw one wide configuration; knobs of other kinds go to base.

    ``kinds=(EXPAND,)`` is the reference's ``min_w`` mode (width augmentation
    stopped, expand augmentation going on). Returns a summary for logging.
    """
    knobs = netaug_choices(model)
    for knob in knobs:
        if kinds is not None and knob.kind not in kinds:
            knob.index = 0
        else:
            knob.index = int(
                torch.randint(len(knob.choices), (1, ), generator=generator))
    return summarize(knobs)


def summarize(knobs: Sequence[WidthChoice]) -> dict:
    summary = {}
    for kind in (WIDTH, EXPAND):
        factors = [k.factor for k in knobs if k.kind == kind]
        if factors:
            summary[f'{kind}_factor'] = sum(factors) / len(factors)
    return summary


def current_config(model: nn.Module) -> List[int]:
    """The chosen index of every knob: a compact id of the configuration."""
    return [k.index for k in netaug_choices(model)]


def set_config(model: nn.Module, indices: Sequence[int]) -> None:
    knobs = netaug_choices(model)
    if len(indices) != len(knobs):
        raise ValueError(f'expected {len(knobs)} indices, got {len(indices)}')
    for knob, index in zip(knobs, indices):
        knob.index = int(index)
