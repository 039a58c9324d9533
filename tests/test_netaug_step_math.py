"""One ``netaug_train_step`` with plain SGD is one SGD step on
``base loss + aug_loss_weight * wide loss``, checked against gradients
computed independently (float64, real detectors, real OptimWrapper)."""
import copy

import pytest
import torch
from mmengine.optim import OptimWrapper
from mmengine.runner import Runner

from mmnetaug.engine.netaug_step import netaug_train_step
from mmnetaug.export import build_detector
from mmnetaug.space import set_base, set_config
from detector_helpers import _one_thread, load_cfg  # noqa: F401
from helpers import shapes_data, tiny_cfg

LR = 0.05
AUG_LOSS_WEIGHT = 0.5  # not 1: a wrongly weighted wide gradient must fail
# Small enough for 2 CPU cores; the config types stay the real ones.
TINY_YOLO = dict(
    model=dict(
        backbone=dict(widen_factor=0.35),
        neck=dict(in_channels=[112, 32, 16], out_channels=[32, 32, 32]),
        bbox_head=dict(num_classes=3, in_channels=[32, 32, 32],
                       out_channels=[32, 32, 32])))


@pytest.fixture
def float64():
    """Build and run in float64, so the comparison can be tight."""
    dtype = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(dtype)


def _inputs_to_float64(module, args, output):
    # DetDataPreprocessor always returns float32 images; the model is
    # float64. A forward hook on the real preprocessor, so the step and the
    # reference below both go through it.
    output['inputs'] = output['inputs'].double()
    return output


def _gradients(model, data, config=None):
    """Gradients of the detector's summed loss at base width (config None)
    or at ``config``, plus the loss; the model is left at base width."""
    if config is None:
        set_base(model)
    else:
        set_config(model, config)
    model.zero_grad(set_to_none=True)
    loss, _ = model.parse_losses(model(**data, mode='loss'))
    loss.backward()
    grads = {
        name: (p.grad.detach().clone()
               if p.grad is not None else torch.zeros_like(p))
        for name, p in model.named_parameters()
    }
    model.zero_grad(set_to_none=True)
    set_base(model)
    return grads, loss.detach()


@pytest.mark.parametrize('model_cfg', ['demo', 'neckhead'])
def test_sgd_step_is_base_plus_weighted_wide_gradient(float64, tmp_path,
                                                      model_cfg):
    # the step's two code paths: update_params, or backward + logged
    # gradient norms + step
    log_norms = model_cfg == 'neckhead'
    data_root = shapes_data(tmp_path / 'shapes', num_train=4)
    cfg = tiny_cfg(data_root, tmp_path / 'work')
    if model_cfg == 'neckhead':  # NetAug backbone, neck and head
        cfg.model = load_cfg('netaug_yolo_mbv2_neckhead.py', TINY_YOLO).model
    model = build_detector(cfg)  # also sets mmdet's default scope
    model.init_weights()
    model = model.double().train()
    model.data_preprocessor.register_forward_hook(_inputs_to_float64)
    loader = Runner.build_dataloader(cfg.train_dataloader, seed=0)
    data_batch = next(iter(loader))

    reference = copy.deepcopy(model)  # the same starting state
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    optim_wrapper = OptimWrapper(
        torch.optim.SGD(model.parameters(), lr=LR, momentum=0,
                        weight_decay=0))
    log_vars, wide_config = netaug_train_step(
        model, copy.deepcopy(data_batch), optim_wrapper,
        torch.Generator().manual_seed(1), aug_loss_weight=AUG_LOSS_WEIGHT,
        freeze_wide_bn=True, log_grad_norms=log_norms)
    assert any(i > 0 for i in wide_config)  # a truly wide network

    # independently: the same preprocessed batch, base gradient at base
    # width, wide gradient at the sampled configuration. Both passes in
    # training mode normalise with batch statistics, so the running
    # statistics the base pass updates do not change the wide pass.
    data = reference.data_preprocessor(data_batch, True)
    assert data['inputs'].dtype == torch.float64
    base_grads, base_loss = _gradients(reference, data)
    wide_grads, wide_loss = _gradients(reference, data, wide_config)
    assert torch.allclose(log_vars['loss'], base_loss, rtol=1e-10)
    assert torch.allclose(log_vars['aug_loss'], wide_loss, rtol=1e-10)
    if log_norms:  # the two parts of the summed gradient, before clipping
        norm = lambda grads: float(torch.linalg.vector_norm(  # noqa: E731
            torch.stack([torch.linalg.vector_norm(g)
                         for g in grads.values()])))
        assert float(log_vars['grad_norm_base']) == pytest.approx(
            norm(base_grads), rel=1e-6)
        assert float(log_vars['grad_norm_wide']) == pytest.approx(
            AUG_LOSS_WEIGHT * norm(wide_grads), rel=1e-6)
    else:
        assert 'grad_norm_base' not in log_vars

    wrong_weight_fails = []
    wide_only = 0
    for name, param in model.named_parameters():
        assert param.dtype == torch.float64
        delta = param.detach() - before[name]
        expected = -LR * (base_grads[name] +
                          AUG_LOSS_WEIGHT * wide_grads[name])
        torch.testing.assert_close(delta, expected, rtol=1e-6, atol=1e-12,
                                   msg=lambda m: f'{name}: {m}')
        unweighted = -LR * (base_grads[name] + wide_grads[name])
        wrong_weight_fails.append(not torch.allclose(
            delta, unweighted, rtol=1e-6, atol=1e-12))
        wide_only += int(((base_grads[name] == 0) &
                          (wide_grads[name] != 0)).sum())
    # the check can tell the weights apart, and the wide pass trained
    # weights that the base network does not use
    assert sum(wrong_weight_fails) > len(wrong_weight_fails) // 2
    assert wide_only > 0
