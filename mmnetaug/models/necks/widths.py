"""Width bookkeeping shared by NetAug necks and heads.

A neck or head that reads features of varying width must allocate its
weights at the widest input it can receive: the base width times the largest
of the upstream module's factors, rounded as the upstream rounds it.
"""
from typing import Optional, Sequence, Tuple

import torch

from mmnetaug.space import WIDTH, WidthChoice, check_factors
from ..backbones.netaug_mobilenet_v2 import wide_widths


def resolve_in_factors(width_factors: tuple,
                       in_width_factors: Optional[Sequence[float]]) -> tuple:
    """``in_width_factors`` of a neck/head; None means "as width_factors"."""
    if in_width_factors is None:
        return width_factors
    return check_factors('in_width_factors', in_width_factors)


def max_width(base: int, factors: Sequence[float]) -> int:
    return wide_widths(base, factors)[-1]


def width_choice(base: int, factors: Sequence[float]) -> WidthChoice:
    """A width knob over ``base`` x ``factors`` (a single choice if fixed)."""
    return WidthChoice(wide_widths(base, factors), WIDTH)


def check_input(owner: str, level: int, x: torch.Tensor, allocated: int,
                factors: Tuple[float, ...]) -> None:
    """Refuse an input wider than the weights that read it.

    A wider input would otherwise be cut silently (leading slice) or fail
    deep inside ``conv2d`` with a message naming no config field.
    """
    if x.size(1) > allocated:
        raise ValueError(
            f'{owner} input {level} has {x.size(1)} channels but its weights '
            f'are allocated for at most {allocated} (in_width_factors='
            f'{list(factors)}); set in_width_factors to the width_factors '
            'of the module that produces this input')
