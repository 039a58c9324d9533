"""mmdet's ``MultiImageMixDataset`` for datasets drawn from an index.

With :class:`FreshImagesSampler` every epoch asks for new indices, but
``Mosaic`` and ``MixUp`` pick their partner images in
``range(len(dataset))``: the first epoch's images, seen again and again
as partners while every main image is new. This wrapper draws the
partners from the main image's own epoch, so a mixed image is as fresh as
its main one.
"""
from mmdet.datasets import MultiImageMixDataset

from ..registry import DATASETS


class _EpochView:
    """The wrapped dataset seen from one epoch's block of indices."""

    def __init__(self, dataset):
        self.dataset = dataset
        self.offset = 0

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, idx):
        return self.dataset[self.offset + idx]

    def __getattr__(self, name):
        return getattr(self.dataset, name)


@DATASETS.register_module()
class FreshMultiImageMixDataset(MultiImageMixDataset):
    """``MultiImageMixDataset`` whose mix partners come from the epoch of
    the index asked for (index // len): with :class:`FreshImagesSampler`,
    the current epoch's fresh images. Same arguments as mmdet's."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.dataset = _EpochView(self.dataset)

    def __getitem__(self, idx):
        if idx < 0:
            raise IndexError(f'FreshMultiImageMixDataset: index {idx} < 0')
        n = len(self.dataset)
        self.dataset.offset = (idx // n) * n
        return super().__getitem__(idx % n)
