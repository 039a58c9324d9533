"""Tiny generated datasets in the folder layouts the shipped configs read:
``data/coco`` (COCO's 80 class names and category ids) and
``data/VOCdevkit`` (XML annotations, ``ImageSets/Main``, VOC2007 and
VOC2012). A few JPEGs of coloured boxes on noise; every box is at least
40 px, so the VOC configs' ``filter_cfg`` (32 px) keeps them."""
import json
import os
import os.path as osp

import cv2
import numpy as np
from mmdet.datasets import CocoDataset, VOCDataset

COCO_CLASSES = CocoDataset.METAINFO['classes']
# COCO's own category ids (1..90 with gaps), in the order of its names
COCO_IDS = [i for i in range(1, 91) if i not in
            (12, 26, 29, 30, 45, 66, 68, 69, 71, 83)]
VOC_CLASSES = VOCDataset.METAINFO['classes']
IMAGE_SIZE = (160, 128)  # width, height


def _image(rng, boxes):
    """Noise with a filled box of a random colour per object."""
    w, h = IMAGE_SIZE
    img = rng.integers(0, 80, size=(h, w, 3), dtype=np.uint8)
    for x1, y1, x2, y2 in boxes:
        img[y1:y2, x1:x2] = rng.integers(100, 256, size=3)
    return img


def _boxes(rng, count=2):
    w, h = IMAGE_SIZE
    out = []
    for _ in range(count):
        bw, bh = (int(v) for v in rng.integers(40, 70, size=2))
        x1, y1 = int(rng.integers(0, w - bw)), int(rng.integers(0, h - bh))
        out.append((x1, y1, x1 + bw, y1 + bh))
    return out


def write_coco(root, images=(('train2017', 2), ('val2017', 2)), seed=0):
    """``root/data/coco/{train2017,val2017}/*.jpg`` and
    ``annotations/instances_{train2017,val2017}.json``."""
    rng = np.random.default_rng(seed)
    coco = osp.join(root, 'data', 'coco')
    os.makedirs(osp.join(coco, 'annotations'), exist_ok=True)
    categories = [dict(id=i, name=n) for i, n in zip(COCO_IDS, COCO_CLASSES)]
    next_ann = 1
    for split, count in images:
        os.makedirs(osp.join(coco, split), exist_ok=True)
        entries, anns = [], []
        for k in range(count):
            image_id = 1000 * (split == 'val2017') + k + 1
            name = f'{image_id:012d}.jpg'
            boxes = _boxes(rng)
            cv2.imwrite(osp.join(coco, split, name), _image(rng, boxes))
            entries.append(dict(id=image_id, file_name=name,
                                width=IMAGE_SIZE[0], height=IMAGE_SIZE[1]))
            for x1, y1, x2, y2 in boxes:
                cat = categories[int(rng.integers(len(categories)))]['id']
                anns.append(dict(id=next_ann, image_id=image_id,
                                 category_id=cat,
                                 bbox=[x1, y1, x2 - x1, y2 - y1],
                                 area=(x2 - x1) * (y2 - y1), iscrowd=0))
                next_ann += 1
        with open(osp.join(coco, 'annotations',
                           f'instances_{split}.json'), 'w') as f:
            json.dump(dict(images=entries, annotations=anns,
                           categories=categories), f)
    return coco


def _voc_xml(name, boxes, labels):
    objects = ''.join(
        f'<object><name>{label}</name><pose>Unspecified</pose>'
        f'<truncated>0</truncated><difficult>0</difficult><bndbox>'
        f'<xmin>{x1 + 1}</xmin><ymin>{y1 + 1}</ymin><xmax>{x2}</xmax>'
        f'<ymax>{y2}</ymax></bndbox></object>'
        for (x1, y1, x2, y2), label in zip(boxes, labels))
    return (f'<annotation><folder>VOC</folder><filename>{name}.jpg'
            f'</filename><size><width>{IMAGE_SIZE[0]}</width><height>'
            f'{IMAGE_SIZE[1]}</height><depth>3</depth></size>{objects}'
            '</annotation>')


def write_voc(root, splits=(('2007', 'trainval', 1), ('2007', 'test', 2),
                            ('2012', 'trainval', 1)), seed=1):
    """``root/data/VOCdevkit/VOC{2007,2012}/{JPEGImages,Annotations,
    ImageSets/Main/<split>.txt}``."""
    rng = np.random.default_rng(seed)
    devkit = osp.join(root, 'data', 'VOCdevkit')
    for year, split, count in splits:
        base = osp.join(devkit, f'VOC{year}')
        for sub in ('JPEGImages', 'Annotations', 'ImageSets/Main'):
            os.makedirs(osp.join(base, sub), exist_ok=True)
        names = [f'{year}_{split}_{k:04d}' for k in range(count)]
        for name in names:
            boxes = _boxes(rng)
            labels = [VOC_CLASSES[int(rng.integers(len(VOC_CLASSES)))]
                      for _ in boxes]
            cv2.imwrite(osp.join(base, 'JPEGImages', name + '.jpg'),
                        _image(rng, boxes))
            with open(osp.join(base, 'Annotations', name + '.xml'),
                      'w') as f:
                f.write(_voc_xml(name, boxes, labels))
        with open(osp.join(base, 'ImageSets', 'Main', split + '.txt'),
                  'w') as f:
            f.write('\n'.join(names) + '\n')
    return devkit
