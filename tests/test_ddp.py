"""2-process DDP on CPU (gloo, torchrun) through tools/train.py."""
import json
import os
import os.path as osp
import socket
import subprocess
import sys

import pytest
import torch

from helpers import ROOT, shapes_data, tiny_cfg


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.mark.parametrize('seed', [123, None])  # None: mmengine draws one
def test_two_ranks_sample_the_same_widths_and_end_equal(tmp_path, seed):
    data_root = shapes_data(tmp_path / 'shapes')
    cfg = tiny_cfg(data_root, tmp_path / 'work', epochs=2)
    # mmengine adds the rank to runner.seed: the wide networks must not
    # follow it (ranks would average gradients of different networks)
    cfg.randomness = dict(seed=seed, diff_rank_seed=True)
    cfg.train_dataloader.batch_size = 2  # 16 images / 2 ranks / 2 = 4 iters
    cfg.custom_imports = dict(imports=['mmnetaug', 'ddp_probe'],
                              allow_failed_imports=False)
    cfg.custom_hooks = [
        dict(type='mmnetaug.NetAugHook', export=False),
        dict(type='mmnetaug.WideConfigProbe')
    ]
    cfg.train_cfg.val_interval = 100  # no validation needed here
    cfg_path = str(tmp_path / 'ddp_cfg.py')
    cfg.dump(cfg_path)
    env = dict(os.environ, OMP_NUM_THREADS='1',
               PYTHONPATH=osp.join(ROOT, 'tests') + os.pathsep + ROOT)
    proc = subprocess.run(
        [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2',
         f'--master_port={_free_port()}',
         osp.join(ROOT, 'tools', 'train.py'), cfg_path,
         '--launcher', 'pytorch'],
        capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    probes = [json.load(open(tmp_path / 'work' / f'probe_{r}.json'))
              for r in (0, 1)]
    assert len(probes[0]['configs']) == 8
    assert probes[0]['configs'] == probes[1]['configs']
    # mmengine's seed differs per rank; the one wide networks follow does not
    run_seed = probes[0]['runner_seed']
    assert seed is None or run_seed == seed
    assert probes[1]['runner_seed'] == run_seed + 1
    assert [p['netaug_seed'] for p in probes] == [run_seed, run_seed]
    assert len({tuple(c) for c in probes[0]['configs']}) > 1
    w0 = torch.load(tmp_path / 'work' / 'weights_0.pth')
    w1 = torch.load(tmp_path / 'work' / 'weights_1.pth')
    for key, value in w0.items():
        assert torch.equal(value, w1[key]), key
