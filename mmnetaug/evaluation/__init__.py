from .top1_accuracy import Top1Accuracy

__all__ = ['Top1Accuracy']
