"""Short NetAug runs with mmengine's EMAHook on the pasted Fashion-MNIST
configs (YOLOX, RTMDet), over tiny IDX files written here, and the check
that their export loads without mmnetaug. Shared by test_ema.py and
test_rtmdet_configs.py."""
import gzip
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
from mmengine.config import Config


def write_idx(path, array):
    """A gzipped IDX file (Fashion-MNIST's format) holding ``array``."""
    header = bytes([0, 0, 0x08, array.ndim]) + b''.join(
        int(n).to_bytes(4, 'big') for n in array.shape)
    with gzip.open(path + '.gz', 'wb') as f:
        f.write(header + array.astype(np.uint8).tobytes())


@pytest.fixture(scope='module')
def fashion_root(tmp_path_factory):
    """Eight 28x28 items (filled rectangles) of classes 0-3 per split."""
    root = str(tmp_path_factory.mktemp('fashion'))
    items = np.zeros((8, 28, 28), np.uint8)
    for i in range(8):
        items[i, 4 + i:24, 6:22 - i] = 255
    labels = np.arange(8) % 4
    for prefix in ('train', 't10k'):
        write_idx(osp.join(root, f'{prefix}-images-idx3-ubyte'), items)
        write_idx(osp.join(root, f'{prefix}-labels-idx1-ubyte'), labels)
    return root


def short_run_cfg(config, root, work_dir, epochs=2, **hook_args):
    """``config`` for 2 iterations (batch 2) per epoch on the IDX files in
    ``root``: the pipeline/mode switch in the last epoch only, EMA with
    gamma=1 so it lags the live model, no LR schedule; ``hook_args`` go to
    NetAugHook."""
    cfg = Config.fromfile(config)
    cfg.work_dir = str(work_dir)
    for loader in ('train_dataloader', 'val_dataloader'):
        cfg[loader].batch_size = 2
    train_set = cfg.train_dataloader.dataset
    while 'dataset' in train_set:  # MultiImageMixDataset (YOLOX)
        train_set = train_set.dataset
    train_set.update(data_root=root, num_images=4)
    cfg.val_dataloader.dataset.update(data_root=root, num_images=2)
    cfg.test_dataloader = cfg.val_dataloader
    cfg.model.data_preprocessor.batch_augments = None  # reproducible passes
    cfg.train_cfg.update(max_epochs=epochs, val_interval=epochs)
    cfg.param_scheduler = []
    cfg.default_hooks.checkpoint.interval = epochs
    cfg.default_hooks.logger.interval = 1
    hooks = {h['type'].split('.')[-1]: h for h in cfg.custom_hooks}
    if 'YOLOXModeSwitchHook' in hooks:
        hooks['YOLOXModeSwitchHook']['num_last_epochs'] = 1
    if 'PipelineSwitchHook' in hooks:
        hooks['PipelineSwitchHook']['switch_epoch'] = epochs - 1
    hooks['EMAHook']['gamma'] = 1
    hooks['NetAugHook'].update(hook_args)
    cfg.randomness = dict(seed=0)
    return cfg


def state(model) -> dict:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def max_diff(a: dict, b: dict, floats_only=True) -> float:
    return max(float((a[k].double() - b[k].double()).abs().max())
               for k in a if not floats_only or a[k].is_floating_point())


def bn_stats(model) -> dict:
    return {k: v.detach().clone() for k, v in model.state_dict().items()
            if k.endswith(('running_mean', 'running_var'))}


# Runs in a fresh interpreter that never imports mmnetaug.
STOCK_CHECK = r'''
import json, sys, torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
import mmdet.models
from mmdet.registry import MODELS
cfg_path, ckpt_path, inputs_path, out_path = sys.argv[1:]
cfg = Config.fromfile(cfg_path)
init_default_scope('mmdet')
model = MODELS.build(cfg.model).eval()
load_checkpoint(model, ckpt_path, map_location='cpu', strict=True)
with torch.no_grad():
    outs = model._forward(torch.load(inputs_path))
torch.save(outs, out_path)
print(json.dumps(dict(
    params=sum(p.numel() for p in model.parameters()),
    backbone=type(model.backbone).__name__,
    mmnetaug=[m for m in sys.modules if m.startswith('mmnetaug')])))
'''


def run_without_mmnetaug(result: dict, inputs, tmp_path):
    """Build the exported config, load its weights strictly and run
    ``inputs`` in a process that never imports mmnetaug: (info, outputs),
    info holding its params, backbone type and any mmnetaug module seen."""
    import torch
    torch.save(inputs, tmp_path / 'inputs.pth')
    proc = subprocess.run(
        [sys.executable, '-c', STOCK_CHECK, result['config'],
         result['checkpoint'],
         str(tmp_path / 'inputs.pth'),
         str(tmp_path / 'outs.pth')],
        capture_output=True, text=True, cwd=str(tmp_path),
        env=dict(os.environ, PYTHONPATH=''))
    assert proc.returncode == 0, proc.stderr[-3000:]
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    return info, torch.load(tmp_path / 'outs.pth')
