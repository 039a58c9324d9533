"""Top-1 accuracy of a classifier, as an mmengine metric.

mmpretrain has its own ``Accuracy``, but it cannot be imported where
torchvision has no build for the installed torch (the CPU machines here);
this one needs mmengine only and reads what ``TinyClassifier`` predicts.
"""
from typing import Sequence

from mmengine.evaluator import BaseMetric

from ..registry import METRICS


@METRICS.register_module()
class Top1Accuracy(BaseMetric):
    """Percentage of samples whose predicted class is the true one.

    Reported as ``accuracy/top1`` (mmpretrain's key), in percent. Works on
    the dicts ``TinyClassifier.predict`` returns (``pred_label``,
    ``gt_label``); the per-sample hits are gathered across ranks.
    """
    default_prefix = 'accuracy'

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            if 'pred_label' not in sample or 'gt_label' not in sample:
                raise KeyError(
                    'Top1Accuracy reads pred_label and gt_label from each '
                    f'prediction, got keys {sorted(sample)}: use it with '
                    "model type 'mmnetaug.TinyClassifier'")
            self.results.append(
                int(sample['pred_label']) == int(sample['gt_label']))

    def compute_metrics(self, results: list) -> dict:
        if not results:
            raise ValueError('Top1Accuracy: no predictions to score (is the '
                             'validation set empty?)')
        return dict(top1=100.0 * sum(results) / len(results))
