"""No hidden global changes: importing mmnetaug keeps torch's safe
``torch.load`` (weights_only) on for everything but what mmengine's
checkpoints hold, and resume / load_from / tools/test.py / tools/export.py
work under it. The SSDHead fix says when it is used."""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner import Runner

from helpers import load_tool, shapes_data, tiny_cfg

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

# Runs in a fresh interpreter with an environment free of torch's switches.
CHECK = r'''
import os, pickle, sys, torch
tmp = sys.argv[1]


class Payload:
    """Any class a malicious or merely foreign checkpoint could hold."""

    def __reduce__(self):
        return (os.getcwd, ())


torch.save({'state_dict': {}, 'payload': Payload()}, tmp + '/evil.pth')
from mmengine.logging import HistoryBuffer


class Attribute:
    """Pickles as getattr(HistoryBuffer, name), as mmengine's methods do."""

    def __init__(self, name):
        self.name = name

    def __reduce__(self):
        return (getattr, (HistoryBuffer, self.name))


torch.save({'meta': Attribute('mean')}, tmp + '/mean.pth')
torch.save({'meta': Attribute('__init__')}, tmp + '/getattr.pth')
import mmnetaug
print('env', os.environ.get('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD'))
for name in ('evil.pth', 'mean.pth', 'getattr.pth'):
    try:
        torch.load(tmp + '/' + name)
        print(name, 'loaded')
    except pickle.UnpicklingError as e:
        print(name, 'refused')
# the SSDHead fix: silent at import, one line when a head relies on it
from mmdet.models.dense_heads import SSDHead
head = SSDHead.__new__(SSDHead)
torch.nn.Module.__init__(head)  # only loss_cls is asked for here
print('loss_cls', head.loss_cls, head.loss_cls)
'''


def test_import_keeps_safe_loading_for_other_objects(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith('TORCH_FORCE')}
    env['PYTHONPATH'] = ROOT
    proc = subprocess.run([sys.executable, '-c', CHECK, str(tmp_path)],
                          capture_output=True, text=True, env=env,
                          cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert 'env None' in lines
    assert 'evil.pth refused' in lines
    # getattr is allow-listed only for HistoryBuffer's statistics methods
    assert 'mean.pth loaded' in lines
    assert 'getattr.pth refused' in lines
    assert 'loss_cls None None' in lines
    notices = [line for line in lines if 'mmdetection#11780' in line]
    assert len(notices) == 1
    assert lines.index(notices[0]) > lines.index('getattr.pth refused')


def test_resume_load_from_test_and_export_under_weights_only(
        tmp_path, monkeypatch):
    # torch's default (weights_only=True) in force, whatever the shell says
    monkeypatch.delenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', raising=False)
    data_root = shapes_data(tmp_path / 'shapes', num_train=4)
    hooks = [dict(type='mmnetaug.NetAugHook', export=False)]
    runner = Runner.from_cfg(
        tiny_cfg(data_root, tmp_path / 'w', epochs=1, custom_hooks=hooks))
    runner.train()
    ckpt = str(tmp_path / 'w' / 'epoch_1.pth')
    # what mmengine wrote loads with the safe loader, HistoryBuffers and all
    state = torch.load(ckpt, weights_only=True)
    loss = state['message_hub']['log_scalars']['train/loss']
    assert isinstance(loss, HistoryBuffer) and len(loss.data[0]) == 1

    # resume: epoch 2 continues from epoch 1 (optimizer and message hub)
    cfg = tiny_cfg(data_root, tmp_path / 'w', epochs=2, custom_hooks=hooks)
    cfg.resume, cfg.load_from = True, ckpt
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.epoch == 2 and runner.iter == 2
    assert len(runner.message_hub.get_scalar('train/loss').data[0]) == 2
    resumed = torch.load(str(tmp_path / 'w' / 'epoch_2.pth'))
    assert resumed['meta']['epoch'] == 2

    # load_from (weights only, no resume)
    cfg = tiny_cfg(data_root, tmp_path / 'l', epochs=1, custom_hooks=hooks)
    cfg.load_from = ckpt
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.epoch == 1
    assert not torch.equal(
        runner.model.state_dict()['backbone.conv1.conv.weight'],
        state['state_dict']['backbone.conv1.conv.weight'])  # trained on

    # tools/test.py and tools/export.py on the training checkpoint
    cfg_path = str(tmp_path / 'tiny.py')
    tiny_cfg(data_root, tmp_path / 't', epochs=1, custom_hooks=hooks).dump(
        cfg_path)
    metrics = load_tool('test').main([
        cfg_path, ckpt, '--cfg-options', 'model.test_cfg.score_thr=0',
        'model.test_cfg.conf_thr=0'
    ])
    assert 'coco/bbox_mAP' in metrics
    result = load_tool('export').main(
        [cfg_path, ckpt, '--out-dir', str(tmp_path / 'export')])
    assert result['max_abs_diff'] <= 1e-5
    assert 'TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD' not in os.environ


@pytest.mark.parametrize('owner, name', [(HistoryBuffer, '__init__'),
                                         (HistoryBuffer, '__class__'),
                                         (os, 'system'), (str, 'mean')])
def test_getattr_stand_in_gives_only_statistics_methods(owner, name):
    import pickle

    from mmnetaug.checkpoint_globals import history_buffer_method
    for method in ('min', 'max', 'current', 'mean'):
        assert history_buffer_method(HistoryBuffer, method) is getattr(
            HistoryBuffer, method)
    with pytest.raises(pickle.UnpicklingError, match='statistics'):
        history_buffer_method(owner, name)
