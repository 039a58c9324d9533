"""Let mmdet 3.3.0's ``SSDHead`` predict.

``BaseDenseHead._predict_by_feat_single`` reads ``self.loss_cls``, which
``SSDHead`` never sets (it skips ``AnchorHead.__init__``), so every SSD
validation or test fails with "'SSDHead' object has no attribute
'loss_cls'" (open-mmlab/mmdetection#11780, #11063). That code only asks
whether the loss has custom class channels; SSD's answer is no. Importing
mmnetaug (as tools/train.py and tools/test.py do) fixes the stock head for
baseline and exported models too; nothing is computed differently. The
first time a head relies on the fix, one line says so in the run's log.
"""
from mmdet.models.dense_heads import SSDHead
from mmengine.logging import print_log

NOTICE = ("mmnetaug: mmdet 3.3.0's SSDHead has no loss_cls "
          '(open-mmlab/mmdetection#11780); mmnetaug gives it loss_cls=None '
          '(no custom class channels) so it can predict')
_noticed = False


def _notice_once() -> None:
    global _noticed
    if not _noticed:
        _noticed = True
        print_log(NOTICE, logger='current')


class _LossClsOrNone:
    """``loss_cls``: the registered loss module if any, else None.

    A data descriptor rather than a plain ``None`` class attribute, so a
    subclass that registers a ``loss_cls`` module still sees its module.
    """

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        if 'loss_cls' in obj._modules:
            return obj._modules['loss_cls']
        if '_loss_cls' in obj.__dict__:
            return obj.__dict__['_loss_cls']
        _notice_once()
        return None

    def __set__(self, obj, value):
        # nn.Module.__setattr__ registers modules itself; other values land
        # here
        obj.__dict__['_loss_cls'] = value


def fix_ssd_head_predict(head_cls=SSDHead) -> bool:
    """Give ``head_cls`` a ``loss_cls`` unless mmdet already defines one;
    True if it did."""
    if any('loss_cls' in vars(c) for c in head_cls.__mro__):
        return False
    head_cls.loss_cls = _LossClsOrNone()
    return True
