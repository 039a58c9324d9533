"""NetAugRTMDetSepBNHead: stock equivalence at base width (RTMDet-tiny
head), a BN per level at every width (the widest head is a stock head of
that width), and the sub-network property through the shared convs."""
import pytest
import torch
import torch.nn as nn
from mmdet.models.dense_heads import RTMDetSepBNHead

from mmnetaug.export import max_abs_diff
from mmnetaug.models import NetAugRTMDetSepBNHead
from mmnetaug.space import netaug_choices, set_max
from detector_helpers import (_one_thread, randomise_bn,  # noqa: F401
                              silence_wide, static_twin)

# mmdet's rtmdet_tiny head (3 classes)
TINY = dict(
    num_classes=3,
    in_channels=96,
    feat_channels=96,
    stacked_convs=2,
    exp_on_reg=False,
    share_conv=True,
    pred_kernel_size=1,
    with_objectness=False,
    anchor_generator=dict(
        type='MlvlPointGenerator', offset=0, strides=[8, 16, 32]),
    bbox_coder=dict(type='DistancePointBBoxCoder'),
    loss_cls=dict(
        type='QualityFocalLoss', use_sigmoid=True, beta=2.0, loss_weight=1.0),
    loss_bbox=dict(type='GIoULoss', loss_weight=2.0))


def _feats(width, batch=2, size=8, seed=1):
    gen = torch.Generator().manual_seed(seed)
    return [
        torch.randn(batch, width, size >> i, size >> i, generator=gen)
        for i in range(3)
    ]


@pytest.mark.parametrize('augment_head', [False, True])
def test_base_width_equals_stock(augment_head):
    stock = RTMDetSepBNHead(**TINY)
    stock.init_weights()
    randomise_bn(stock)
    stock.eval()
    head = NetAugRTMDetSepBNHead(**TINY, augment_head=augment_head)
    head.load_state_dict(stock.state_dict(), strict=True)
    head.eval()
    # 2 stacked convs per branch when augmented; none otherwise
    assert len(netaug_choices(head)) == (4 if augment_head else 0)
    feats = _feats(96)
    with torch.no_grad():
        diff = max_abs_diff(head(feats), stock(feats))
    assert diff <= 1e-5, diff
    twin = static_twin(head, lambda m: m(feats))
    assert list(twin.state_dict()) == list(stock.state_dict())
    for key, value in stock.state_dict().items():
        assert torch.equal(twin.state_dict()[key], value), key


def test_a_bn_per_level_at_every_width():
    """The levels share each conv, never its BN: after a training-mode pass
    at max width every level's BN holds its own statistics, and the widest
    head is, key for key, a stock head of that width that loads strictly
    and computes the same outputs."""
    head = NetAugRTMDetSepBNHead(**TINY, augment_head=True)
    randomise_bn(head)
    set_max(head)
    width = head.max_in_channels  # 96 x 2.6 -> 256
    feats = _feats(width, seed=2)
    head.train()
    head(feats)
    convs = [level[0] for level in head.cls_convs]
    assert all(c.conv is convs[0].conv for c in convs)
    assert len({id(c.bn) for c in convs}) == 3
    feat = head.cls_choices[0].max
    assert [c.bn.active_channels for c in convs] == [feat] * 3
    means = [c.bn.running_mean[:feat] for c in convs]
    assert not torch.allclose(means[0], means[1])
    head.eval()
    twin = static_twin(head, lambda m: m(feats))
    stock = RTMDetSepBNHead(
        **dict(TINY, in_channels=width, feat_channels=feat))
    stock.load_state_dict(twin.state_dict(), strict=True)
    stock.eval()
    with torch.no_grad():
        assert max_abs_diff(stock(feats), head(feats)) <= 1e-5
    assert not torch.equal(stock.cls_convs[0][0].bn.running_mean,
                           stock.cls_convs[1][0].bn.running_mean)


def test_base_is_a_subnetwork_of_max():
    """Silenced wide channels, zero-padded inputs: the widest head predicts
    what the base head predicts (shared convs sliced alike per level)."""
    head = NetAugRTMDetSepBNHead(**TINY, augment_head=True)
    randomise_bn(head)
    feats = _feats(96, batch=1)
    quiet = silence_wide(head, lambda m: m(feats))
    with torch.no_grad():
        base = quiet(feats)
        set_max(quiet)
        padded = [
            nn.functional.pad(f, (0, 0, 0, 0, 0, head.max_in_channels - 96))
            for f in feats
        ]
        assert max_abs_diff(quiet(padded), base) <= 1e-5
        set_max(head)
        head.eval()
        assert max_abs_diff(head(padded), base) > 1e-3


def test_too_wide_input_and_bad_arguments_name_the_field():
    head = NetAugRTMDetSepBNHead(**TINY, in_width_factors=(1.0, 1.8))
    with pytest.raises(ValueError, match='in_width_factors'):
        head(_feats(184))
    with pytest.raises(ValueError, match='expects 3 feature maps'):
        head(_feats(96)[:2])
    with pytest.raises(ValueError, match='width_factors.*lacks 1.0'):
        NetAugRTMDetSepBNHead(**TINY, width_factors=(1.8, 2.6))
