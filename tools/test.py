"""Test (and evaluate) a detector checkpoint: NetAug supernet, exported or
baseline. Same flags and behaviour as mmdet 3.3.0's ``tools/test.py``:

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out X.pkl]
        [--show] [--show-dir DIR] [--wait-time S] [--tta]
        [--cfg-options k=v ...] [--launcher none|pytorch|slurm|mpi]

On top of mmdet's: a config whose test set is not on disk stops at once with
the missing path and the expected layout; ``--launcher pytorch`` on a machine
without CUDA runs on CPU processes (gloo); ``main(argv)`` returns the metrics.
"""
import argparse
import os
import os.path as osp
import sys
import warnings
from copy import deepcopy

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmdet.engine.hooks.utils import trigger_visualization_hook  # noqa: E402
from mmdet.evaluation import DumpDetResults  # noqa: E402
from mmdet.registry import RUNNERS  # noqa: E402
from mmdet.utils import setup_cache_size_limit_of_dynamo  # noqa: E402
from mmengine.config import Config, ConfigDict, DictAction  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

import mmnetaug  # noqa: E402,F401
from mmnetaug.checkpoint_loading import CheckpointError  # noqa: E402
from mmnetaug.utils import check_datasets, setup_cpu_distributed  # noqa

# mmdet's defaults for --tta when the config has none
DEFAULT_TTA_MODEL = dict(
    type='DetTTAModel',
    tta_cfg=dict(nms=dict(type='nms', iou_threshold=0.5), max_per_img=100))
TTA_META_KEYS = ('img_id', 'img_path', 'ori_shape', 'img_shape',
                 'scale_factor', 'flip', 'flip_direction')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='MMDet test (and eval) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir',
        help='the directory to save the file containing evaluation metrics')
    parser.add_argument(
        '--out', type=str,
        help='dump predictions to a pickle file for offline evaluation')
    parser.add_argument(
        '--show', action='store_true', help='show prediction results')
    parser.add_argument(
        '--show-dir',
        help='directory where painted images will be saved (under '
        'work_dir/<timestamp>/)')
    parser.add_argument(
        '--wait-time', type=float, default=2, help='the interval of show (s)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings in the config, key=value (lists as '
        'key="[a,b]" or key=a,b; no white space)')
    parser.add_argument(
        '--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none', help='job launcher')
    parser.add_argument(
        '--tta', action='store_true',
        help='test-time augmentation: cfg.tta_model wraps the model and '
        'cfg.tta_pipeline replaces the test pipeline (mmdet\'s flip TTA '
        'when the config has none)')
    # torch.distributed launchers pass --local-rank (torch >= 2.0) or
    # --local_rank
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def _test_dataset_cfg(cfg):
    """The innermost dataset of the test loader (inside any wrappers)."""
    dataset = cfg.test_dataloader.dataset
    while 'dataset' in dataset:
        dataset = dataset['dataset']
    return dataset


def default_tta_pipeline(cfg) -> list:
    """mmdet's default: the test pipeline with horizontal-flip TTA in place
    of its final ``PackDetInputs``."""
    pipeline = deepcopy(_test_dataset_cfg(cfg).get('pipeline'))
    last = pipeline[-1].get('type', '') if pipeline else ''
    if last.split('.')[-1] != 'PackDetInputs':
        raise ValueError(
            '--tta needs cfg.tta_pipeline: the config has none, and the test '
            'pipeline (test_dataloader.dataset.pipeline) does not end with '
            f'PackDetInputs (got {last or "no pipeline"!r}), so mmdet\'s '
            'default flip TTA cannot be derived from it; add tta_pipeline '
            '(and tta_model) to the config')
    # the flip keys TTA merges by, and whatever else the test pipeline
    # packs (e.g. 'instances', from which CocoMetric builds ground truth
    # when there is no ann_file)
    own = tuple(pipeline[-1].get('meta_keys', ()))
    pack = dict(pipeline[-1], meta_keys=TTA_META_KEYS + tuple(
        k for k in own if k not in TTA_META_KEYS))
    flips = [
        dict(type='RandomFlip', prob=1.),
        dict(type='RandomFlip', prob=0.)
    ]
    pipeline[-1] = dict(type='TestTimeAug', transforms=[flips, [pack]])
    return pipeline


def apply_tta(cfg) -> None:
    """``--tta`` as mmdet does: wrap the model in ``cfg.tta_model`` and test
    on ``cfg.tta_pipeline``, each defaulting (with a warning) to mmdet's."""
    if 'tta_model' not in cfg:
        warnings.warn('--tta: the config has no tta_model; using mmdet\'s '
                      f'default {DEFAULT_TTA_MODEL}')
        cfg.tta_model = deepcopy(DEFAULT_TTA_MODEL)
    if 'tta_pipeline' not in cfg:
        cfg.tta_pipeline = default_tta_pipeline(cfg)
        warnings.warn('--tta: the config has no tta_pipeline; using the '
                      'test pipeline with horizontal-flip TTA')
    cfg.model = ConfigDict(**cfg.tta_model, module=cfg.model)
    cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline


def build_cfg(args) -> Config:
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    # work_dir: command line, then config, then the config's name
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    if args.show or args.show_dir:
        cfg = trigger_visualization_hook(cfg, args)
    if args.tta:
        apply_tta(cfg)
    if args.out is not None and not args.out.endswith(('.pkl', '.pickle')):
        raise ValueError(f'--out must be a .pkl or .pickle file, got '
                         f'{args.out!r}')
    if args.launcher != 'none':
        setup_cpu_distributed(cfg)
    return cfg


def main(argv=None):
    args = parse_args(argv)
    # fewer repeated compilations with torch.compile, as mmdet's tools
    setup_cache_size_limit_of_dynamo()
    cfg = build_cfg(args)
    try:
        check_datasets(cfg, keys=('test_dataloader', ))
    except FileNotFoundError as e:
        sys.exit(f'error: {e}')
    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        runner = RUNNERS.build(cfg)
    if args.out is not None:
        runner.test_evaluator.metrics.append(
            DumpDetResults(out_file_path=args.out))
    try:
        return runner.test()
    except CheckpointError as e:  # the checkpoint given: one line
        sys.exit(f'error: {e}')


if __name__ == '__main__':
    main()
