"""Resuming a NetAug run that trains with EMA (YOLOX-nano's EMAHook on
configs/fashion/netaug_yolox_nano_fashion.py, tiny IDX files written here),
epoch- and iteration-based: the resumed run ends exactly where the
uninterrupted one does, its live weights and its EMA copy alike. Channel
sorting runs before every epoch (or every 2 iterations), so the resumed
run must restore sorted weights, the EMA copy's average and step count,
the optimizer state that sorting permutes, and sort at the same points."""
import os.path as osp

from mmengine.runner import Runner

from mmnetaug.engine import ema_module, find_ema_hook
from mmnetaug.space import unwrap
from detector_helpers import _one_thread  # noqa: F401
from ema_helpers import fashion_root  # noqa: F401
from ema_helpers import max_diff, short_run_cfg, state

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
NETAUG = osp.join(ROOT, 'configs/fashion/netaug_yolox_nano_fashion.py')
# images that do not depend on Python's random state (Mosaic, affine and
# flips would draw differently after a resume, whatever the weights)
FIXED_PIPELINE = [dict(type='Resize', scale=(96, 96), keep_ratio=True),
                  dict(type='PackDetInputs')]


def _cfg(root, work_dir, iter_based=False):
    cfg = short_run_cfg(NETAUG, root, work_dir, epochs=3,
                        width_stop_fraction=1.0, export=False)
    cfg.train_dataloader.dataset.pipeline = FIXED_PIPELINE
    cfg.default_hooks.checkpoint.update(interval=1, max_keep_ckpts=-1)
    if iter_based:
        cfg.train_cfg = dict(type='mmnetaug.NetAugIterBasedTrainLoop',
                             max_iters=6, val_interval=6)
        cfg.default_hooks.checkpoint.update(interval=2, by_epoch=False)
        cfg.log_processor = dict(by_epoch=False)
        cfg.custom_hooks = [h for h in cfg.custom_hooks
                            if 'YOLOXModeSwitchHook' not in h['type']]
        for hook in cfg.custom_hooks:
            if 'NetAugHook' in hook['type']:
                hook['sort_interval'] = 2
    return cfg


def _train(cfg, resume_from=None):
    if resume_from:
        cfg.resume, cfg.load_from = True, resume_from
    runner = Runner.from_cfg(cfg)
    runner.train()
    return dict(live=state(unwrap(runner.model)),
                ema=state(ema_module(runner)),
                steps=int(find_ema_hook(runner).ema_model.steps),
                iter=runner.iter)


def _check_resume(root, tmp_path, iter_based, checkpoint):
    full = _train(_cfg(root, tmp_path / 'full', iter_based))
    resumed = _train(_cfg(root, tmp_path / 'resumed', iter_based),
                     resume_from=str(tmp_path / 'full' / checkpoint))
    assert resumed['iter'] == full['iter'] == 6
    assert resumed['steps'] == full['steps'] == 6
    assert max_diff(resumed['live'], full['live'], floats_only=False) == 0
    assert max_diff(resumed['ema'], full['ema'], floats_only=False) == 0
    # the EMA copy lags the live model: a resume that reset it to the
    # live weights would differ
    assert max_diff(full['ema'], full['live']) > 1e-4


def test_epoch_based_resume_with_ema_ends_where_the_run_does(
        fashion_root, tmp_path):  # noqa: F811
    _check_resume(fashion_root, tmp_path, False, 'epoch_1.pth')


def test_iteration_based_resume_with_ema_ends_where_the_run_does(
        fashion_root, tmp_path):  # noqa: F811
    _check_resume(fashion_root, tmp_path, True, 'iter_4.pth')
