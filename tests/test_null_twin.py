"""The null control: NetAug with ``aug_loss_weight=0``, no channel sorting
and ``freeze_wide`` trains exactly the baseline twin.

From the same weights and batches, a few AdamW steps with clipping leave
the base slice of every parameter and BN buffer equal to the baseline
twin's. So the baseline twin is the study's null control, and any
difference between the twins is the wide gradient's (and sorting's).
The one exception is MobileNetV2's ``conv2``: off the output path with
the YOLO configs' out_indices, stock mmdet still runs it (and updates its
BN statistics), the NetAug backbone skips it.
"""
import copy

import pytest
import torch
from mmengine.optim import build_optim_wrapper
from mmengine.runner import Runner

from mmnetaug.engine.netaug_step import iteration_generator, netaug_train_step
from mmnetaug.export import build_detector
from detector_helpers import _one_thread  # noqa: F401
from helpers import shapes_data, tiny_cfg

STEPS = 3
SKIPPED_BY_NETAUG = 'backbone.conv2.'


def _leading(big: torch.Tensor, small: torch.Tensor) -> torch.Tensor:
    return big[tuple(slice(0, s) for s in small.shape)]


@pytest.mark.parametrize('aug_loss_weight, equal', [(0.0, True),
                                                    (1.0, False)])
def test_zero_weight_netaug_trains_the_baseline_twin(tmp_path,
                                                     aug_loss_weight, equal):
    data_root = shapes_data(tmp_path / 'shapes', num_train=8)
    optim = dict(type='OptimWrapper',
                 optimizer=dict(type='AdamW', lr=0.002, weight_decay=0.05),
                 clip_grad=dict(max_norm=35, norm_type=2))
    twins = {}
    for netaug in (False, True):
        cfg = tiny_cfg(data_root, tmp_path / f'work{netaug}', netaug=netaug)
        torch.manual_seed(0)
        model = build_detector(cfg)
        model.init_weights()
        twins[netaug] = (cfg, model.train())
    base_cfg, baseline = twins[False]
    _, supernet = twins[True]
    result = supernet.load_state_dict(baseline.state_dict(), strict=False)
    # the same starting weights: the baseline's fill the leading slices
    assert not result.unexpected_keys
    assert all(k.startswith(SKIPPED_BY_NETAUG) for k in result.missing_keys)

    loader = Runner.build_dataloader(base_cfg.train_dataloader, seed=0)
    batches = [b for _, b in zip(range(STEPS), iter(loader))]
    base_wrapper = build_optim_wrapper(baseline, copy.deepcopy(optim))
    netaug_wrapper = build_optim_wrapper(supernet, copy.deepcopy(optim))
    wide_configs = []
    for step, batch in enumerate(batches):
        baseline.train_step(copy.deepcopy(batch), base_wrapper)
        _, config = netaug_train_step(
            supernet, copy.deepcopy(batch), netaug_wrapper,
            iteration_generator(0, step), aug_loss_weight=aug_loss_weight,
            freeze_wide_bn=True)
        wide_configs.append(config)
    assert any(any(i > 0 for i in c) for c in wide_configs)  # truly wide

    net_state = supernet.state_dict()
    compared, differ = 0, []
    for name, value in baseline.state_dict().items():
        if name.startswith(SKIPPED_BY_NETAUG) or \
                name.endswith('num_batches_tracked'):
            continue
        ours = _leading(net_state[name], value)
        compared += 1
        if not torch.allclose(ours, value, rtol=1e-5, atol=1e-7):
            differ.append(name)
    assert compared > 100
    if equal:
        assert not differ, f'base slice differs from the twin: {differ[:5]}'
    else:  # the check can fail: the wide gradient moves the base weights
        assert len(differ) > compared // 2
