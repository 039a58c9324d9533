from .fresh_mix_dataset import FreshMultiImageMixDataset
from .fashion_items import FashionItemsDataset
from .fresh_images_sampler import FreshImagesSampler
from .pasted_objects import (FASHION_MNIST_CLASSES, FASHION_MNIST_ROOT,
                             PastedObjectsDataset, draw_pasted_image,
                             read_idx)
from .procedural_shapes import DEFAULT_CLASSES as PROCEDURAL_DEFAULT_CLASSES
from .procedural_shapes import (PROCEDURAL_CLASSES, ProceduralShapesDataset,
                                draw_background, draw_image)
from .shapes import CLASSES as SHAPES_CLASSES
from .shapes import make_shapes_dataset

__all__ = [
    'make_shapes_dataset', 'SHAPES_CLASSES', 'ProceduralShapesDataset',
    'FreshImagesSampler', 'PROCEDURAL_CLASSES', 'PROCEDURAL_DEFAULT_CLASSES',
    'draw_image', 'draw_background', 'PastedObjectsDataset',
    'draw_pasted_image', 'read_idx', 'FASHION_MNIST_CLASSES',
    'FASHION_MNIST_ROOT', 'FashionItemsDataset', 'FreshMultiImageMixDataset'
]
