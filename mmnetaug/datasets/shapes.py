"""A small procedurally generated detection dataset in COCO format.

Coloured squares, discs and triangles on textured backgrounds: enough
structure for a tiny YOLOv3 to learn in minutes on a CPU, generated
deterministically from a seed so nothing needs downloading.
"""
import json
import os
import os.path as osp

import cv2
import numpy as np

CLASSES = ('square', 'disc', 'triangle')


def _background(rng: np.random.RandomState, size: int) -> np.ndarray:
    low = rng.randint(0, 160, size=3)
    noise = rng.randint(0, 60, size=(size // 8 + 1, size // 8 + 1, 3))
    tex = cv2.resize(noise.astype(np.uint8), (size, size),
                     interpolation=cv2.INTER_LINEAR)
    return np.clip(tex.astype(np.int32) + low, 0, 255).astype(np.uint8)


def _draw(img, rng, label, box):
    x1, y1, x2, y2 = box
    color = tuple(int(c) for c in rng.randint(0, 256, size=3))
    if label == 0:
        cv2.rectangle(img, (x1, y1), (x2 - 1, y2 - 1), color, -1)
    elif label == 1:
        center = ((x1 + x2) // 2, (y1 + y2) // 2)
        axes = ((x2 - x1) // 2, (y2 - y1) // 2)
        cv2.ellipse(img, center, axes, 0, 0, 360, color, -1)
    else:
        pts = np.array([[(x1 + x2) // 2, y1], [x1, y2 - 1], [x2 - 1, y2 - 1]],
                       np.int32)
        cv2.fillPoly(img, [pts], color)


def _iou(a, b):
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) *
             (b[3] - b[1]) - inter)
    return inter / union


def make_split(root: str, split: str, num_images: int, seed: int,
               size: int = 160, max_objects: int = 3) -> str:
    """Write ``root/<split>/*.png`` and ``root/annotations/<split>.json``."""
    rng = np.random.RandomState(seed)
    img_dir = osp.join(root, split)
    os.makedirs(img_dir, exist_ok=True)
    os.makedirs(osp.join(root, 'annotations'), exist_ok=True)
    images, annotations = [], []
    for img_id in range(num_images):
        img = _background(rng, size)
        boxes = []
        for _ in range(rng.randint(1, max_objects + 1)):
            for _attempt in range(10):
                side = rng.randint(size // 6, size // 2)
                w = int(side * rng.uniform(0.8, 1.25))
                h = side
                x1 = rng.randint(0, size - w)
                y1 = rng.randint(0, size - h)
                box = (x1, y1, x1 + w, y1 + h)
                if all(_iou(box, b[1]) < 0.2 for b in boxes):
                    boxes.append((rng.randint(len(CLASSES)), box))
                    break
        for label, box in boxes:
            _draw(img, rng, label, box)
            annotations.append(
                dict(id=len(annotations) + 1, image_id=img_id,
                     category_id=label + 1,
                     bbox=[box[0], box[1], box[2] - box[0], box[3] - box[1]],
                     area=(box[2] - box[0]) * (box[3] - box[1]), iscrowd=0))
        name = f'{img_id:05d}.png'
        cv2.imwrite(osp.join(img_dir, name), img)
        images.append(dict(id=img_id, file_name=name, width=size,
                           height=size))
    coco = dict(
        images=images,
        annotations=annotations,
        categories=[dict(id=i + 1, name=n) for i, n in enumerate(CLASSES)])
    ann_file = osp.join(root, 'annotations', f'{split}.json')
    with open(ann_file, 'w') as f:
        json.dump(coco, f)
    return ann_file


def make_shapes_dataset(root: str, num_train: int = 600, num_val: int = 100,
                        seed: int = 0, size: int = 160) -> dict:
    """Generate the train and val splits unless they already exist."""
    stamp = osp.join(root, f'.complete-{num_train}-{num_val}-{seed}-{size}')
    if not osp.exists(stamp):
        make_split(root, 'train', num_train, seed, size)
        make_split(root, 'val', num_val, seed + 1, size)
        open(stamp, 'w').close()
    return dict(root=root, classes=CLASSES)
