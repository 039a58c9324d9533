"""Test-only hook: records each iteration's sampled wide config per rank."""
import json
import os.path as osp

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook

from mmnetaug.registry import HOOKS
from mmnetaug.space import unwrap


@HOOKS.register_module()
class WideConfigProbe(Hook):

    def __init__(self):
        self.configs = []

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self.configs.append(list(runner.train_loop.last_wide_config))

    def after_train(self, runner):
        rank = get_rank()
        with open(osp.join(runner.work_dir, f'probe_{rank}.json'), 'w') as f:
            json.dump(dict(rank=rank, configs=self.configs,
                           runner_seed=runner.seed,
                           netaug_seed=getattr(runner.train_loop,
                                               'netaug_seed', None)), f)
        # parameters only: BN buffers are per rank (broadcast_buffers=False)
        params = {k: v.detach() for k, v in
                  unwrap(runner.model).named_parameters()}
        torch.save(params,
                   osp.join(runner.work_dir, f'weights_{rank}.pth'))
