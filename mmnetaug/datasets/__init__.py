from .fresh_images_sampler import FreshImagesSampler
from .procedural_shapes import DEFAULT_CLASSES as PROCEDURAL_DEFAULT_CLASSES
from .procedural_shapes import (PROCEDURAL_CLASSES, ProceduralShapesDataset,
                                draw_image)
from .shapes import CLASSES as SHAPES_CLASSES
from .shapes import make_shapes_dataset

__all__ = [
    'make_shapes_dataset', 'SHAPES_CLASSES', 'ProceduralShapesDataset',
    'FreshImagesSampler', 'PROCEDURAL_CLASSES', 'PROCEDURAL_DEFAULT_CLASSES',
    'draw_image'
]
