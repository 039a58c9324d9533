"""How a width factor becomes a channel count: the one place that decides.

Two rounding rules exist, each for a reason:

- ``'mmdet'``: mmdet's ``make_divisible(base x factor, 8)`` for the widths
  of a knob, and ``int(round(...))`` for hidden widths (mmdet's
  ``InvertedResidual``). ``NetAugMobileNetV2`` and the NetAug necks and
  heads round their own widths this way.
- ``'reference'``: the reference NetAug code's ``make_divisible(v, 1)``
  (round half up, at least 1) for both. The tiny backbones round their
  inner widths this way, so their supernets are the reference's (e.g. MCUNet
  stem 16 x [1, 1.6, 2.2] -> 16, 26, 35).

A width that one module hands to another (a backbone's outputs with
``augment_outputs=True``, a neck's outputs) is always rounded with
``INTERFACE_RULE``, whatever the producer's rule for its inner widths, and
consumers allocate the weights that read it with the same rule. So the
consumer's widest input is exactly the producer's widest output, and any
NetAug backbone feeds any NetAug neck (and the neck its head) at every
sampled configuration, given the same factor list (``in_width_factors``).
The base width (factor 1.0) is never rounded: it is the stock network's.
"""
from typing import Optional, Sequence, Tuple

import torch
from mmdet.models.utils import make_divisible

from mmnetaug.space import WIDTH, WidthChoice, check_factors

MMDET = 'mmdet'
REFERENCE = 'reference'
RULES = (MMDET, REFERENCE)
# the rule of every width crossing a module boundary
INTERFACE_RULE = MMDET


def _check_rule(rule: str) -> None:
    if rule not in RULES:
        raise ValueError(f'unknown width rounding rule {rule!r}; expected '
                         f'one of {RULES}')


def reference_round(value: float) -> int:
    """The reference's ``make_divisible(v, 1)``: round half up, >= 1."""
    return max(1, int(value + 0.5))


def round_width(value: float, rule: str) -> int:
    """A knob's channel count for ``base x factor = value``."""
    _check_rule(rule)
    if rule == MMDET:
        return make_divisible(value, 8)
    return reference_round(value)


def round_hidden(value: float, rule: str) -> int:
    """A width derived by a ratio (hidden width of an inverted block, SE mid
    width): mmdet's ``int(round(v))``, the reference's round half up."""
    _check_rule(rule)
    if rule == MMDET:
        return int(round(value))
    return reference_round(value)


def make_widths(base: int, factors: Sequence[float],
                rule: str = INTERFACE_RULE) -> Tuple[int, ...]:
    """The choices of one knob: the base as it is, then the wide widths."""
    wide = [round_width(base * f, rule) for f in factors if f != 1.0]
    return tuple(sorted({int(base), *wide}))


def width_choice(base: int, factors: Sequence[float],
                 rule: str = INTERFACE_RULE) -> WidthChoice:
    """A width knob over ``base`` x ``factors`` (a single choice if fixed)."""
    return WidthChoice(make_widths(base, factors, rule), WIDTH)


def max_width(base: int, factors: Sequence[float],
              rule: str = INTERFACE_RULE) -> int:
    """The widest choice; what a consumer allocates for an input."""
    return make_widths(base, factors, rule)[-1]


def resolve_in_factors(width_factors: tuple,
                       in_width_factors: Optional[Sequence[float]]) -> tuple:
    """``in_width_factors`` of a neck/head; None means "as width_factors"."""
    if in_width_factors is None:
        return width_factors
    return check_factors('in_width_factors', in_width_factors)


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
            f'{list(factors)}, rounded by mmnetaug.widths rule '
            f'{INTERFACE_RULE!r}); set in_width_factors to the width_factors '
            'of the module that produces this input')
