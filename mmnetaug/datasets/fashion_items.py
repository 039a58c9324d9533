"""Fashion-MNIST items as a classification task, for pretraining the tiny
backbones that the detection study (``configs/fashion/``) fine-tunes.

Two looks, both drawn from ``(seed, index)`` so that every epoch (with
:class:`FreshImagesSampler`) sees new augmentations, and a resumed run the
same ones:

* ``'plain'``: the 28 px item, optionally resized, padded to ``img_size``;
  training shifts it by up to ``pad`` px and flips it (the usual pad-crop
  and flip), validation centres it.
* ``'pasted'``: the item tinted and pasted at a random scale and place on a
  procedural background (the detection task's objects, one per image):
  more variety, so a tiny network underfits more.

Validation uses the test split: its items are never seen in training.
"""
from typing import Optional

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from ..registry import DATASETS
from .pasted_objects import (FASHION_MNIST_CLASSES, FASHION_MNIST_ROOT,
                             PIXEL_THRESHOLD, _crop_to_content, _tint,
                             checked_split, load_items, paste_item)
from .procedural_shapes import draw_background

MODES = ('plain', 'pasted')


@DATASETS.register_module()
class FashionItemsDataset(Dataset):
    """Fashion-MNIST items, one per image, with their class.

    Each sample is ``dict(inputs=uint8 tensor 3 x H x W (BGR),
    data_samples=class index)``: mmengine's ``default_collate`` stacks
    them into a batch for ``TinyClassifier``.

    Args:
        mode (str): ``'plain'`` or ``'pasted'`` (see the module docstring).
        img_size (int): square image side.
        item_size (int): ``'plain'``: side the 28 px item is resized to
            (default 28, as it is).
        pad (int): ``'plain'``: largest shift of the training crop.
        min_size, max_size (int): ``'pasted'``: range of the item's longer
            side, log-uniform.
        seed (int): the draw (use another one for another validation set).
        split (str, optional): ``'train'`` or ``'test'``; by default the
            test split when ``test_mode``.
        test_mode (bool): no random shift or flip (``'plain'``).
        data_root (str): folder with the four IDX files (``.gz`` or not);
            Debian's ``dataset-fashion-mnist`` by default.
    """
    METAINFO = dict(classes=FASHION_MNIST_CLASSES)

    def __init__(self, mode: str = 'plain', img_size: int = 32,
                 item_size: int = 28, pad: int = 4, min_size: int = 16,
                 max_size: Optional[int] = None, seed: int = 0,
                 split: Optional[str] = None, test_mode: bool = False,
                 data_root: str = FASHION_MNIST_ROOT) -> None:
        name = 'FashionItemsDataset'
        if mode not in MODES:
            raise ValueError(f'{name}: mode must be one of {MODES}, got '
                             f'{mode!r}')
        max_size = img_size if max_size is None else max_size
        if mode == 'plain' and not 4 <= item_size <= img_size:
            raise ValueError(f'{name}: need 4 <= item_size <= img_size, got '
                             f'item_size={item_size}, img_size={img_size}')
        if mode == 'pasted' and not 4 <= min_size <= max_size <= img_size:
            raise ValueError(
                f'{name}: need 4 <= min_size <= max_size <= img_size, got '
                f'min_size={min_size}, max_size={max_size}, '
                f'img_size={img_size}')
        split = checked_split(name, data_root, split, test_mode)
        self.mode, self.img_size, self.item_size = mode, img_size, item_size
        self.pad, self.min_size, self.max_size = pad, min_size, max_size
        self.seed, self.split, self.test_mode = seed, split, test_mode
        self.data_root = data_root
        self.metainfo = dict(self.METAINFO)
        self.images, self.labels = load_items(data_root, split)

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, idx: int) -> dict:
        """Item ``idx % len`` drawn with the randomness of ``idx``: indices
        past the end (FreshImagesSampler's later epochs) redraw the same
        items with new shifts, flips, scales and backgrounds."""
        if idx < 0:
            raise IndexError(f'FashionItemsDataset: index {idx} < 0')
        item = self.images[idx % len(self.images)]
        rng = np.random.default_rng([self.seed, idx])
        draw = self._plain if self.mode == 'plain' else self._pasted
        img = draw(rng, item)
        return dict(inputs=torch.from_numpy(
            np.ascontiguousarray(img.transpose(2, 0, 1))),
                    data_samples=int(self.labels[idx % len(self.labels)]))

    def _plain(self, rng, item: np.ndarray) -> np.ndarray:
        if self.item_size != item.shape[0]:
            item = cv2.resize(item, (self.item_size, self.item_size),
                              interpolation=cv2.INTER_LINEAR)
        size, pad = self.img_size, self.pad
        canvas = np.zeros((size + 2 * pad, size + 2 * pad), np.uint8)
        at = pad + (size - self.item_size) // 2
        canvas[at:at + self.item_size, at:at + self.item_size] = item
        if self.test_mode:
            y = x = pad
        else:
            y, x = (int(v) for v in rng.integers(0, 2 * pad + 1, size=2))
        img = canvas[y:y + size, x:x + size]
        if not self.test_mode and rng.random() < 0.5:
            img = img[:, ::-1]
        return np.repeat(img[..., None], 3, axis=2)

    def _pasted(self, rng, item: np.ndarray) -> np.ndarray:
        size = self.img_size
        img = draw_background(rng, size)
        item = _crop_to_content(item)
        side = np.exp(rng.uniform(np.log(self.min_size),
                                  np.log(self.max_size)))
        scale = side / max(item.shape)
        h = min(size, max(1, int(round(item.shape[0] * scale))))
        w = min(size, max(1, int(round(item.shape[1] * scale))))
        resized = cv2.resize(item, (w, h), interpolation=cv2.INTER_LINEAR)
        if rng.random() < 0.5:
            resized = resized[:, ::-1]
        if not (resized >= PIXEL_THRESHOLD).any():
            resized = np.maximum(resized, PIXEL_THRESHOLD)  # keep it visible
        x = int(rng.integers(0, size - w + 1))
        y = int(rng.integers(0, size - h + 1))
        paste_item(img, np.ascontiguousarray(resized), x, y,
                   _tint(rng, img[y:y + h, x:x + w]))
        return img
