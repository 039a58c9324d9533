"""A sampler that asks an index-generated dataset for new images each epoch.

With :class:`ProceduralShapesDataset` every index is a different image, so
offsetting the indices by ``epoch * len(dataset)`` makes every epoch (and
every rank's shard of it) a set of images the model has never seen: a
training set without end, which a tiny detector cannot memorise.
"""
from typing import Iterator

from mmengine.dataset import DefaultSampler

from ..registry import DATA_SAMPLERS


@DATA_SAMPLERS.register_module()
class FreshImagesSampler(DefaultSampler):
    """:class:`DefaultSampler` whose indices move on by one dataset length
    per epoch (``set_epoch`` is called by mmengine's loop and its
    ``DistSamplerSeedHook``, so all ranks agree and resume is exact)."""

    def __iter__(self) -> Iterator[int]:
        offset = self.epoch * len(self.dataset)
        return (offset + idx for idx in super().__iter__())
