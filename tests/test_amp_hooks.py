"""AMP skipped-step counting rests on one fact about torch's dynamic loss
scaler: its scale falls exactly when it skips a step. Checked here with a
real GradScaler on CPU (AmpOptimWrapper itself needs a GPU)."""
import torch
from mmengine.optim import OptimWrapper

from mmnetaug.engine.amp_hooks import (AmpSkippedStepsHook, loss_scale,
                                       step_was_skipped)


def test_scale_falls_exactly_when_a_step_is_skipped():
    param = torch.nn.Parameter(torch.ones(3))
    optimizer = torch.optim.SGD([param], lr=0.1)
    scaler = torch.amp.GradScaler('cpu', init_scale=2.0**16,
                                  growth_interval=2)
    outcomes = []
    for grad in ([1.0, 2.0, 3.0], [float('inf'), 0.0, 0.0], [1.0, 1.0, 1.0],
                 [float('nan'), 1.0, 1.0], [0.5, 0.5, 0.5], [0.5, 0.5, 0.5]):
        before_param = param.detach().clone()
        before = float(scaler.get_scale())
        scaler.scale((param * torch.tensor(grad)).sum()).backward()
        scaler.step(optimizer)
        scaler.update()
        skipped = torch.equal(param.detach(), before_param)
        assert step_was_skipped(before, float(scaler.get_scale())) == skipped
        outcomes.append((skipped, float(scaler.get_scale()) > before))
        optimizer.zero_grad()
    # two skips (inf, nan), and the scale also grew after 2 clean steps
    assert [o[0] for o in outcomes] == [False, True, False, True, False,
                                        False]
    assert any(grew for _, grew in outcomes)


def test_hook_is_a_no_op_without_amp():
    wrapper = OptimWrapper(torch.optim.SGD([torch.nn.Parameter(
        torch.ones(1))], lr=0.1))
    assert loss_scale(wrapper) is None
    assert AmpSkippedStepsHook().skipped == 0
