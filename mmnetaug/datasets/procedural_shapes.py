"""Detection images drawn on the fly from their index: a task with no fixed
training set.

Five shape classes by default (square, disc, triangle, star, ring; three
more for a harder task), some told apart only by fine detail (ring vs disc),
from 20 to 80 px, tilted and stretched, in any colour, on cluttered noisy
backgrounds with unlabelled distractor strokes. Every index is its own
image (seeded by ``(seed, index)``), so with :class:`FreshImagesSampler` a
detector never sees an image twice: it cannot overfit, and a tiny one
underfits, which is the regime NetAug is for. Nothing is written to disk.
"""
import math
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmdet.datasets import BaseDetDataset

from ..registry import DATASETS

PROCEDURAL_CLASSES = ('square', 'disc', 'triangle', 'diamond', 'star',
                      'cross', 'ring', 'frame')
# the default task; 'diamond', 'cross' and 'frame' make a harder one
DEFAULT_CLASSES = ('square', 'disc', 'triangle', 'star', 'ring')
_HOLLOW = {'ring': 'disc', 'frame': 'square'}


def _outline(name: str) -> np.ndarray:
    """Unit outline of a class as (N, 2) points in [-1, 1]."""
    if name == 'square':
        return np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], np.float64)
    if name == 'disc':
        t = np.linspace(0, 2 * math.pi, 32, endpoint=False)
        return np.stack([np.cos(t), np.sin(t)], 1)
    if name == 'triangle':
        return np.array([[0, -1], [1, 1], [-1, 1]], np.float64)
    if name == 'diamond':
        return np.array([[0, -1], [1, 0], [0, 1], [-1, 0]], np.float64)
    if name == 'star':
        t = np.linspace(0, 2 * math.pi, 10, endpoint=False) - math.pi / 2
        r = np.where(np.arange(10) % 2 == 0, 1.0, 0.45)
        return np.stack([r * np.cos(t), r * np.sin(t)], 1)
    if name == 'cross':
        a = 0.33
        return np.array([[-a, -1], [a, -1], [a, -a], [1, -a], [1, a], [a, a],
                         [a, 1], [-a, 1], [-a, a], [-1, a], [-1, -a],
                         [-a, -a]], np.float64)
    return _outline(_HOLLOW[name])


def draw_background(rng: np.random.Generator, size: int) -> np.ndarray:
    """Smooth coloured noise with unlabelled distractor strokes."""
    base = rng.integers(0, 200, size=3)
    cells = int(rng.integers(4, 12))
    noise = rng.integers(0, 70, size=(cells, cells, 3)).astype(np.uint8)
    img = cv2.resize(noise, (size, size), interpolation=cv2.INTER_CUBIC)
    img = np.clip(img.astype(np.int32) + base, 0, 255).astype(np.uint8)
    for _ in range(int(rng.integers(0, 5))):  # unlabelled distractor strokes
        p1, p2 = rng.integers(0, size, size=(2, 2))
        color = tuple(int(c) for c in rng.integers(0, 256, size=3))
        cv2.line(img, tuple(map(int, p1)), tuple(map(int, p2)), color,
                 int(rng.integers(1, 4)), cv2.LINE_AA)
    return img


def _overlap(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over the smaller box: also catches a small box hidden
    inside a large one, which IoU would let through."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) *
                  (b[3] - b[1]))
    return ix * iy / smaller


def _place(rng, name: str, size: int, min_size: int,
           max_size: int) -> Tuple[np.ndarray, List[float]]:
    """Scaled, tilted, translated outline points and their bounding box."""
    side = math.exp(rng.uniform(math.log(min_size), math.log(max_size)))
    aspect = rng.uniform(0.75, 1.33)
    angle = math.radians(rng.uniform(-20, 20))
    rot = np.array([[math.cos(angle), -math.sin(angle)],
                    [math.sin(angle), math.cos(angle)]])
    pts = _outline(name) * [side / 2 * aspect, side / 2]
    pts = pts @ rot.T
    lo, hi = pts.min(0), pts.max(0)
    offset = rng.uniform(-lo, size - hi)
    pts = pts + offset
    x1, y1 = pts.min(0)
    x2, y2 = pts.max(0)
    return pts, [float(x1), float(y1), float(x2), float(y2)]


def draw_image(rng: np.random.Generator, size: int = 160,
               max_objects: int = 4, min_size: int = 20, max_size: int = 80,
               classes: Sequence[str] = DEFAULT_CLASSES
               ) -> Tuple[np.ndarray, list]:
    """One BGR image and its mmdet ``instances`` (xyxy boxes, labels that
    index ``classes``)."""
    img = draw_background(rng, size)
    instances = []
    for _ in range(int(rng.integers(1, max_objects + 1))):
        for _attempt in range(10):
            label = int(rng.integers(len(classes)))
            pts, box = _place(rng, classes[label], size, min_size, max_size)
            if all(_overlap(box, i['bbox']) < 0.25 for i in instances):
                break
        else:
            continue
        color = tuple(int(c) for c in rng.integers(0, 256, size=3))
        poly = np.round(pts * 16).astype(np.int32)  # 4 fractional bits
        if classes[label] in _HOLLOW:
            thick = max(2, int(round((box[3] - box[1]) * 0.18)))
            cv2.polylines(img, [poly], True, color, thick, cv2.LINE_AA, 4)
            half = thick / 2  # the stroke widens the box by half its width
            box = [max(0.0, box[0] - half), max(0.0, box[1] - half),
                   min(float(size), box[2] + half),
                   min(float(size), box[3] + half)]
        else:
            cv2.fillPoly(img, [poly], color, cv2.LINE_AA, 4)
        instances.append(dict(bbox=box, bbox_label=label, ignore_flag=0))
    sigma = rng.uniform(0, 8)
    noisy = img.astype(np.float32) + rng.normal(0, sigma, img.shape)
    return np.clip(noisy, 0, 255).astype(np.uint8), instances


@DATASETS.register_module()
class ProceduralShapesDataset(BaseDetDataset):
    """``num_images`` images per epoch, generated from ``(seed, index)``.

    Any non-negative index is valid: :class:`FreshImagesSampler` asks for
    ``epoch * num_images + i`` so each epoch is new. Use a different
    ``seed`` for validation. Load images with ``LoadImageFromNDArray``; add
    ``'instances'`` to ``PackDetInputs``' meta keys so ``CocoMetric`` can
    evaluate without an annotation file.
    """

    METAINFO = dict(classes=DEFAULT_CLASSES)

    def __init__(self, num_images: int, seed: int = 0, img_size: int = 160,
                 max_objects: int = 4, min_size: int = 20,
                 max_size: int = 80,
                 classes: Sequence[str] = DEFAULT_CLASSES,
                 pipeline: Sequence = (), test_mode: bool = False) -> None:
        if num_images < 1:
            raise ValueError(f'ProceduralShapesDataset: num_images must be '
                             f'>= 1, got {num_images}')
        if not 4 <= min_size <= max_size <= img_size:
            raise ValueError(
                f'ProceduralShapesDataset: need 4 <= min_size <= max_size <= '
                f'img_size, got min_size={min_size}, max_size={max_size}, '
                f'img_size={img_size}')
        unknown = [c for c in classes if c not in PROCEDURAL_CLASSES]
        if unknown or not classes or len(set(classes)) != len(classes):
            raise ValueError(
                f'ProceduralShapesDataset: classes must be distinct names '
                f'from {PROCEDURAL_CLASSES}, got {tuple(classes)}')
        self.num_images = num_images
        self.seed = seed
        self.draw_args = dict(size=img_size, max_objects=max_objects,
                              min_size=min_size, max_size=max_size,
                              classes=tuple(classes))
        super().__init__(ann_file='', metainfo=dict(classes=tuple(classes)),
                         pipeline=pipeline,
                         test_mode=test_mode, lazy_init=True,
                         serialize_data=False)

    def full_init(self) -> None:
        """Nothing to load: images are drawn in :meth:`get_data_info`."""
        self._fully_initialized = True

    def __len__(self) -> int:
        return self.num_images

    def get_data_info(self, idx: int) -> dict:
        if idx < 0:
            raise IndexError(f'ProceduralShapesDataset: index {idx} < 0')
        rng = np.random.default_rng([self.seed, idx])
        img, instances = draw_image(rng, **self.draw_args)
        size = self.draw_args['size']
        return dict(img=img, img_id=idx, img_path=None, height=size,
                    width=size, instances=instances, sample_idx=idx)
