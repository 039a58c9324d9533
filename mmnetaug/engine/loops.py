"""NetAug train loops: the stock mmengine loops with a NetAug step."""
from typing import Sequence

from mmengine.dist import broadcast_object_list
from mmengine.runner import EpochBasedTrainLoop, IterBasedTrainLoop

from mmnetaug.registry import LOOPS
from mmnetaug.space import EXPAND, WIDTH, is_netaug_model, unwrap
from .netaug_step import iteration_generator, netaug_train_step


class NetAugLoopMixin:
    """Per iteration: base pass + one sampled wide pass, one update.

    ``sample_kinds`` and ``freeze_wide_bn`` are the policy that
    ``NetAugHook`` sets (width augmentation on/off, BN statistics).
    """
    netaug_args = ('aug_loss_weight', 'log_grad_norms')

    def _init_netaug(self, aug_loss_weight, log_grad_norms=False):
        if not isinstance(aug_loss_weight, (int, float)) or \
                aug_loss_weight < 0:
            raise ValueError(
                f'train_cfg.aug_loss_weight must be a number >= 0, got '
                f'{aug_loss_weight!r}; the reference value is 1.0')
        self.aug_loss_weight = float(aug_loss_weight)
        self.log_grad_norms = bool(log_grad_norms)
        self.sample_kinds = (WIDTH, EXPAND)
        self.freeze_wide_bn = True
        self.last_wide_config = None
        self.netaug_seed = None  # set in run(), after a resume
        model = unwrap(self.runner.model)
        if not is_netaug_model(model):
            raise ValueError(
                f'{type(self).__name__} needs a model with NetAug '
                f'(dynamic-width) modules, but {type(model).__name__} has '
                "none: use e.g. backbone type 'mmnetaug.NetAugMobileNetV2', "
                "or a stock loop (train_cfg type='EpochBasedTrainLoop')")
        optim_wrapper = self.runner.optim_wrapper  # a dict until built
        accumulate = (
            optim_wrapper.get('accumulative_counts', 1) if isinstance(
                optim_wrapper, dict) else getattr(
                    optim_wrapper, '_accumulative_counts', 1))
        if accumulate != 1:
            raise ValueError(
                f'optim_wrapper.accumulative_counts={accumulate} is not '
                'supported with NetAug (each iteration already accumulates '
                'a base and a wide pass); set it to 1 and raise the batch '
                'size instead')
        sync_bn = self.runner.cfg.get('sync_bn')
        if sync_bn is not None:
            # in DDP, mmengine has already swapped the layers by now
            raise ValueError(
                f'sync_bn={sync_bn!r} is not supported with NetAug: it turns '
                'every BatchNorm, the dynamic-width ones included, into a '
                'stock SyncBatchNorm of the widest width. Remove it and set '
                "norm_cfg=dict(type='SyncBN') in the model's backbone, neck "
                'and head instead (NetAug modules then build '
                'DynamicSyncBatchNorm2d)')

    def run(self):
        # After load_or_resume (which may take the seed from the checkpoint)
        self.netaug_seed = self._shared_seed()
        return super().run()

    def _shared_seed(self) -> int:
        """The run seed as rank 0 has it, the same on every rank.

        With ``randomness=dict(diff_rank_seed=True)`` mmengine adds the rank
        to ``runner.seed``, which would give every rank a different wide
        network while DDP averages their gradients. Rank 0's seed is the
        run seed without that offset (also the one its checkpoints save, so
        a resumed run draws the same networks), and when ``seed`` is None
        it is the seed mmengine drew; one broadcast at start-up shares it.
        """
        seed = [self.runner.seed]
        broadcast_object_list(seed, src=0)  # no-op when not distributed
        return seed[0]

    def _netaug_step(self, data_batch: Sequence[dict]) -> dict:
        runner = self.runner
        if self.netaug_seed is None:
            self.netaug_seed = self._shared_seed()
        log_vars, self.last_wide_config = netaug_train_step(
            runner.model,
            data_batch,
            runner.optim_wrapper,
            iteration_generator(self.netaug_seed, runner.iter),
            aug_loss_weight=self.aug_loss_weight,
            kinds=self.sample_kinds,
            freeze_wide_bn=self.freeze_wide_bn,
            log_grad_norms=self.log_grad_norms)
        return log_vars


@LOOPS.register_module()
class NetAugTrainLoop(NetAugLoopMixin, EpochBasedTrainLoop):
    """``EpochBasedTrainLoop`` training the detector with NetAug.

    Args:
        aug_loss_weight (float): weight of the wide pass's loss (alpha in
            the paper; the reference uses 1.0).
        log_grad_norms (bool): also log ``grad_norm_base`` and
            ``grad_norm_wide``, the norms of the two passes' gradients
            before clipping (clip_grad acts once, on their sum).
        Others as ``EpochBasedTrainLoop``.
    """
    stock_type = 'EpochBasedTrainLoop'

    def __init__(self, runner, dataloader, max_epochs, val_begin=1,
                 val_interval=1, dynamic_intervals=None, aug_loss_weight=1.0,
                 log_grad_norms=False):
        super().__init__(runner, dataloader, max_epochs, val_begin,
                         val_interval, dynamic_intervals)
        self._init_netaug(aug_loss_weight, log_grad_norms)

    def run_iter(self, idx, data_batch: Sequence[dict]) -> None:
        self.runner.call_hook(
            'before_train_iter', batch_idx=idx, data_batch=data_batch)
        outputs = self._netaug_step(data_batch)
        self.runner.call_hook(
            'after_train_iter',
            batch_idx=idx,
            data_batch=data_batch,
            outputs=outputs)
        self._iter += 1


@LOOPS.register_module()
class NetAugIterBasedTrainLoop(NetAugLoopMixin, IterBasedTrainLoop):
    """``IterBasedTrainLoop`` training the detector with NetAug."""
    stock_type = 'IterBasedTrainLoop'

    def __init__(self, runner, dataloader, max_iters, val_begin=1,
                 val_interval=1000, dynamic_intervals=None,
                 aug_loss_weight=1.0, log_grad_norms=False):
        super().__init__(runner, dataloader, max_iters, val_begin,
                         val_interval, dynamic_intervals)
        self._init_netaug(aug_loss_weight, log_grad_norms)

    def run_iter(self, data_batch: Sequence[dict]) -> None:
        self.runner.call_hook(
            'before_train_iter', batch_idx=self._iter, data_batch=data_batch)
        outputs = self._netaug_step(data_batch)
        self.runner.call_hook(
            'after_train_iter',
            batch_idx=self._iter,
            data_batch=data_batch,
            outputs=outputs)
        self._iter += 1
