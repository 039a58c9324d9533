from .amp_hooks import AmpSkippedStepsHook
from .bn_calibration import recalibrate_bn
from .ema import ema_module, find_ema_hook, permute_like
from .hooks import NetAugHook
from .loops import NetAugIterBasedTrainLoop, NetAugTrainLoop
from .netaug_step import (frozen_bn_stats, iteration_generator,
                          netaug_train_step)

__all__ = [
    'NetAugHook', 'AmpSkippedStepsHook', 'NetAugTrainLoop', 'NetAugIterBasedTrainLoop',
    'netaug_train_step', 'iteration_generator', 'frozen_bn_stats',
    'recalibrate_bn', 'ema_module', 'find_ema_hook', 'permute_like'
]
