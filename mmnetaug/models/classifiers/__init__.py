from .teacher import Teacher
from .tiny_classifier import TinyClassifier, build_imagenet_classifier

__all__ = ['TinyClassifier', 'Teacher', 'build_imagenet_classifier']
