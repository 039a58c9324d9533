"""Train a detector (NetAug or baseline config), with mmdet's flags."""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmdet.utils import setup_cache_size_limit_of_dynamo  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.registry import RUNNERS  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

import mmnetaug  # noqa: E402,F401
from mmnetaug.checkpoint_loading import CheckpointError  # noqa: E402
from mmnetaug.utils import check_datasets, setup_cpu_distributed  # noqa
from mmnetaug.utils.run_env import run_environment  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a detector')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--amp', action='store_true',
        help='enable automatic-mixed-precision training')
    parser.add_argument(
        '--auto-scale-lr', action='store_true',
        help='enable automatically scaling LR')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from this checkpoint, or, without a value, from the '
        'latest checkpoint in the work dir')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings in the config, key=value')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def build_cfg(args) -> Config:
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if args.amp:
        if cfg.optim_wrapper.get('type', 'OptimWrapper') == 'AmpOptimWrapper':
            print('AMP training is already enabled in the config.')
        else:
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.loss_scale = 'dynamic'
        # log the steps the loss scaler skips (inf/nan gradients)
        hooks = cfg.get('custom_hooks') or []
        if not any(str(h.get('type', '')).endswith('AmpSkippedStepsHook')
                   for h in hooks):
            cfg.custom_hooks = list(hooks) + [
                dict(type='mmnetaug.AmpSkippedStepsHook')
            ]
    if args.auto_scale_lr:
        if 'auto_scale_lr' not in cfg or 'base_batch_size' not in \
                cfg.auto_scale_lr:
            raise RuntimeError('--auto-scale-lr needs auto_scale_lr with '
                               'base_batch_size in the config')
        cfg.auto_scale_lr.enable = True
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    if args.launcher != 'none':
        setup_cpu_distributed(cfg)
    return cfg


def main(argv=None):
    args = parse_args(argv)
    # fewer repeated compilations with torch.compile, as mmdet's tools
    setup_cache_size_limit_of_dynamo()
    cfg = build_cfg(args)
    try:
        check_datasets(cfg)
    except FileNotFoundError as e:
        sys.exit(f'error: {e}')
    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        runner = RUNNERS.build(cfg)
    # what a rerun must match to reproduce this run bit for bit (versions
    # and threads: two threads already change the result after one epoch)
    runner.logger.info(f'run environment: {run_environment()}')
    try:
        runner.train()
    except CheckpointError as e:  # --resume or load_from: one line
        sys.exit(f'error: {e}')
    return runner


if __name__ == '__main__':
    main()
