"""Real objects on procedural backgrounds: Fashion-MNIST items pasted into
detection images drawn from ``(seed, index)``.

Shirts, T-shirts, pullovers and coats are confused even by good
classifiers, so here a tiny detector is short of capacity, not only of
training: the regime NetAug is for. Images are drawn like
:class:`ProceduralShapesDataset` (new ones every epoch with
:class:`FreshImagesSampler`); training pastes items of the train split,
validation items of the test split, so validation objects are never seen
in training. The items come from the IDX files of Debian's
``dataset-fashion-mnist`` (or any folder holding the four files).
"""
import functools
import gzip
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmdet.datasets import BaseDetDataset

from ..registry import DATASETS
from .procedural_shapes import _overlap, draw_background

FASHION_MNIST_ROOT = '/usr/share/datasets/fashion-mnist'
FASHION_MNIST_CLASSES = ('T-shirt/top', 'Trouser', 'Pullover', 'Dress',
                         'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag',
                         'Ankle boot')
SPLIT_FILES = {
    'train': ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'),
    'test': ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'),
}
# below this intensity (of 255) an item pixel is background: the box is
# tight on the pixels at or above it
PIXEL_THRESHOLD = 16


def _find(data_root: str, name: str) -> Optional[str]:
    for path in (osp.join(data_root, name), osp.join(data_root,
                                                     name + '.gz')):
        if osp.isfile(path):
            return path
    return None


def missing_files_message(data_root: str, split: str,
                          name: str = 'PastedObjectsDataset'
                          ) -> Optional[str]:
    """What is wrong with ``data_root`` for ``split``, or None if fine."""
    missing = [n for n in SPLIT_FILES[split] if not _find(data_root, n)]
    if not missing:
        return None
    return (f'{name}: data_root {data_root!r} lacks '
            f'{", ".join(missing)} (or .gz) for the {split} split. On Debian '
            'or Ubuntu: `sudo apt-get install dataset-fashion-mnist` (puts '
            f'them in {FASHION_MNIST_ROOT}; tools/install_deps.sh does it '
            'when run as root), or point data_root at a folder with the four '
            'Fashion-MNIST IDX files, e.g. --cfg-options '
            'train_dataloader.dataset.data_root=/path/to/fashion-mnist')


def checked_split(name: str, data_root: str, split: Optional[str],
                  test_mode: bool) -> str:
    """The split a dataset reads (the test split for validation by
    default), its files checked at once rather than at the first image."""
    split = split or ('test' if test_mode else 'train')
    if split not in SPLIT_FILES:
        raise ValueError(f"{name}: split must be 'train' or 'test', got "
                         f'{split!r}')
    message = missing_files_message(data_root, split, name)
    if message:
        raise FileNotFoundError(message)
    return split


def read_idx(path: str) -> np.ndarray:
    """An IDX file (raw or gzipped) of unsigned bytes as an array."""
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f'{path}: not an IDX file of unsigned bytes '
                         '(magic 0x0000 08 nd)')
    ndim = raw[3]
    shape = tuple(
        int.from_bytes(raw[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim))
    start = 4 + 4 * ndim
    count = int(np.prod(shape))
    if len(raw) - start != count:
        raise ValueError(f'{path}: header says {shape} ({count} bytes), '
                         f'the file holds {len(raw) - start}: truncated?')
    return np.frombuffer(raw, np.uint8, count, start).reshape(shape)


@functools.lru_cache(maxsize=4)
def load_items(data_root: str, split: str) -> Tuple[np.ndarray, np.ndarray]:
    """(images N x 28 x 28, labels N) of one split; read once per process."""
    message = missing_files_message(data_root, split)
    if message:
        raise FileNotFoundError(message)
    images_name, labels_name = SPLIT_FILES[split]
    images = read_idx(_find(data_root, images_name))
    labels = read_idx(_find(data_root, labels_name))
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(
            f'PastedObjectsDataset: {data_root} {split} split: images '
            f'{images.shape} and labels {labels.shape} do not match')
    return images, labels


def _crop_to_content(item: np.ndarray) -> np.ndarray:
    ys, xs = np.nonzero(item >= PIXEL_THRESHOLD)
    if len(ys) == 0:
        return item
    return item[ys.min():ys.max() + 1, xs.min():xs.max() + 1]


def _tint(rng, patch: np.ndarray) -> np.ndarray:
    """A colour that stands out from the background under the object:
    the farthest of a few random ones."""
    colors = rng.integers(0, 256, size=(4, 3))
    mean = patch.reshape(-1, 3).mean(0)
    return colors[np.abs(colors - mean).sum(1).argmax()].astype(np.float32)


def paste_item(img: np.ndarray, item: np.ndarray, x: int, y: int,
               color: np.ndarray) -> List[float]:
    """Alpha-blend ``item`` (intensity = opacity) tinted ``color`` at
    (x, y); the box is tight on the pixels at or above the threshold."""
    h, w = item.shape
    alpha = item.astype(np.float32)[..., None] / 255.0
    region = img[y:y + h, x:x + w].astype(np.float32)
    img[y:y + h, x:x + w] = np.clip(region * (1 - alpha) + color * alpha, 0,
                                    255).astype(np.uint8)
    ys, xs = np.nonzero(item >= PIXEL_THRESHOLD)
    return [float(x + xs.min()), float(y + ys.min()), float(x + xs.max() + 1),
            float(y + ys.max() + 1)]


def draw_pasted_image(rng: np.random.Generator, items: np.ndarray,
                      labels: np.ndarray, size: int = 96,
                      num_objects: Tuple[int, int] = (1, 3),
                      min_size: int = 20, max_size: int = 56,
                      noise_sigma: Tuple[float, float] = (0.0, 8.0)
                      ) -> Tuple[np.ndarray, list]:
    """One BGR image with ``num_objects`` (inclusive range) items pasted,
    each with its longer side log-uniform in [min_size, max_size], and its
    mmdet ``instances`` (labels index the classes ``labels`` hold)."""
    img = draw_background(rng, size)
    instances: List[Dict] = []
    for _ in range(int(rng.integers(num_objects[0], num_objects[1] + 1))):
        for _attempt in range(10):
            index = int(rng.integers(len(items)))
            item = _crop_to_content(items[index])
            side = np.exp(rng.uniform(np.log(min_size), np.log(max_size)))
            scale = side / max(item.shape)
            h = max(1, int(round(item.shape[0] * scale)))
            w = max(1, int(round(item.shape[1] * scale)))
            x = int(rng.integers(0, size - w + 1))
            y = int(rng.integers(0, size - h + 1))
            box = [x, y, x + w, y + h]
            if all(_overlap(box, i['bbox']) < 0.25 for i in instances):
                break
        else:
            continue
        resized = cv2.resize(item, (w, h), interpolation=cv2.INTER_LINEAR)
        if not (resized >= PIXEL_THRESHOLD).any():
            continue  # faded away at this size: nothing to detect
        color = _tint(rng, img[y:y + h, x:x + w])
        box = paste_item(img, resized, x, y, color)
        instances.append(
            dict(bbox=box, bbox_label=int(labels[index]), ignore_flag=0))
    sigma = rng.uniform(*noise_sigma)
    if sigma > 0:
        noisy = img.astype(np.float32) + rng.normal(0, sigma, img.shape)
        img = np.clip(noisy, 0, 255).astype(np.uint8)
    return img, instances


@DATASETS.register_module()
class PastedObjectsDataset(BaseDetDataset):
    """``num_images`` images per epoch of Fashion-MNIST items pasted on
    procedural backgrounds, generated from ``(seed, index)``.

    Args:
        num_images (int): images per epoch (any non-negative index is
            valid: :class:`FreshImagesSampler` asks for new ones).
        seed (int): use another one for validation.
        img_size (int): square image side.
        num_objects (tuple[int, int]): objects per image, inclusive range.
        min_size, max_size (int): range of an object's longer side (px).
        data_root (str): folder with the Fashion-MNIST IDX files
            (``.gz`` or not); Debian's ``dataset-fashion-mnist`` by default.
        split (str, optional): ``'train'`` or ``'test'``; by default the
            test split when ``test_mode``, so validation objects are new.
        classes (sequence[str]): a subset of the 10 Fashion-MNIST classes;
            items of other classes are not used.
        noise_sigma (tuple[float, float]): range of the pixel noise std.
    """

    METAINFO = dict(classes=FASHION_MNIST_CLASSES)

    def __init__(self, num_images: int, seed: int = 0, img_size: int = 96,
                 num_objects: Sequence[int] = (1, 3), min_size: int = 20,
                 max_size: int = 56, data_root: str = FASHION_MNIST_ROOT,
                 split: Optional[str] = None,
                 classes: Sequence[str] = FASHION_MNIST_CLASSES,
                 noise_sigma: Sequence[float] = (0.0, 8.0),
                 pipeline: Sequence = (), test_mode: bool = False) -> None:
        name = 'PastedObjectsDataset'
        if num_images < 1:
            raise ValueError(f'{name}: num_images must be >= 1, got '
                             f'{num_images}')
        if not 4 <= min_size <= max_size <= img_size:
            raise ValueError(
                f'{name}: need 4 <= min_size <= max_size <= img_size, got '
                f'min_size={min_size}, max_size={max_size}, '
                f'img_size={img_size}')
        if len(num_objects) != 2 or not (
                1 <= num_objects[0] <= num_objects[1]):
            raise ValueError(f'{name}: num_objects must be (min, max) with '
                             f'1 <= min <= max, got {tuple(num_objects)}')
        unknown = [c for c in classes if c not in FASHION_MNIST_CLASSES]
        if unknown or not classes or len(set(classes)) != len(classes):
            raise ValueError(
                f'{name}: classes must be distinct names from '
                f'{FASHION_MNIST_CLASSES}, got {tuple(classes)}')
        split = checked_split(name, data_root, split, test_mode)
        self.num_images = num_images
        self.seed = seed
        self.split = split
        self.data_root_dir = data_root
        self.classes = tuple(classes)
        self.draw_args = dict(size=img_size, num_objects=tuple(num_objects),
                              min_size=min_size, max_size=max_size,
                              noise_sigma=tuple(noise_sigma))
        self._items = None
        super().__init__(ann_file='', metainfo=dict(classes=self.classes),
                         pipeline=pipeline, test_mode=test_mode,
                         lazy_init=True, serialize_data=False)

    def full_init(self) -> None:
        """Read the split's items (once per process) and keep those of
        ``classes``, relabelled to index ``classes``."""
        if self._items is None:
            images, labels = load_items(self.data_root_dir, self.split)
            wanted = [FASHION_MNIST_CLASSES.index(c) for c in self.classes]
            keep = np.isin(labels, wanted)
            if not keep.any():
                raise ValueError(
                    f'PastedObjectsDataset: the {self.split} split in '
                    f'{self.data_root_dir} has no item of {self.classes}')
            relabel = np.full(len(FASHION_MNIST_CLASSES), -1, np.int64)
            relabel[wanted] = np.arange(len(wanted))
            self._items = (images[keep], relabel[labels[keep]])
        self._fully_initialized = True

    def __len__(self) -> int:
        return self.num_images

    def get_data_info(self, idx: int) -> dict:
        if idx < 0:
            raise IndexError(f'PastedObjectsDataset: index {idx} < 0')
        if self._items is None:
            self.full_init()
        rng = np.random.default_rng([self.seed, idx])
        img, instances = draw_pasted_image(rng, *self._items,
                                           **self.draw_args)
        size = self.draw_args['size']
        return dict(img=img, img_id=idx, img_path=None, height=size,
                    width=size, instances=instances, sample_idx=idx)
