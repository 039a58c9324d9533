from .shapes import CLASSES as SHAPES_CLASSES
from .shapes import make_shapes_dataset

__all__ = ['make_shapes_dataset', 'SHAPES_CLASSES']
