"""Distributed training on CPU (gloo) with mmengine 0.10.7."""
import os

import torch
import torch.distributed as dist


def setup_cpu_distributed(cfg) -> bool:
    """Start a gloo process group when launched on a machine without CUDA.

    mmengine's ``init_dist`` calls ``torch.cuda.set_device`` and its default
    DDP wrapper passes ``device_ids=[LOCAL_RANK]``; both fail without CUDA.
    Returns True when it set things up (the Runner then skips its own init).
    """
    if torch.cuda.is_available() or 'RANK' not in os.environ:
        return False
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')
    wrapper = dict(cfg.get('model_wrapper_cfg') or {})
    wrapper.setdefault('type', 'MMDistributedDataParallel')
    wrapper['device_ids'] = None
    wrapper.setdefault('find_unused_parameters',
                       cfg.get('find_unused_parameters', False))
    cfg.model_wrapper_cfg = wrapper
    env = dict(cfg.get('env_cfg') or {})
    env['dist_cfg'] = dict(env.get('dist_cfg') or {}, backend='gloo')
    cfg.env_cfg = env
    return True
