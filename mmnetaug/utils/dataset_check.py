"""Fail early, and clearly, when a config's dataset is not on disk."""
import os.path as osp
from typing import List


def _dataset_cfgs(cfg) -> List[dict]:
    """Leaf dataset configs inside wrappers (Repeat/Concat/ClassBalanced)."""
    if cfg is None:
        return []
    if 'datasets' in cfg:
        return [d for sub in cfg['datasets'] for d in _dataset_cfgs(sub)]
    if 'dataset' in cfg:
        return _dataset_cfgs(cfg['dataset'])
    return [cfg]


def _path(root, path):
    if path is None or osp.isabs(path) or not root:
        return path
    return osp.join(root, path)


LAYOUTS = {
    'CocoDataset': ('COCO layout: <data_root>/annotations/instances_*.json '
                    'and the image folders (train2017/, val2017/)'),
    'VOCDataset': ('VOC layout: <data_root>/VOC2007/{Annotations,JPEGImages,'
                   'ImageSets/Main} (and VOC2012/ for 07+12)'),
}


def _voc_converter_hint(root: str) -> str:
    """The command that writes mmdet's COCO-format VOC files
    (``voc0712_trainval.json`` and the like) from the VOC XML."""
    try:
        import mmdet
        converter = osp.join(osp.dirname(mmdet.__file__), '.mim', 'tools',
                             'dataset_converters', 'pascal_voc.py')
    except ImportError:  # pragma: no cover (mmdet is a dependency)
        converter = 'mmdet/.mim/tools/dataset_converters/pascal_voc.py'
    devkit = root.rstrip('/') or '.'
    return (f'It is written from the VOC XML by mmdet\'s converter: '
            f'python {converter} {devkit} -o {devkit}/annotations '
            '--out-format coco')


def _is_voc_coco_file(path: str) -> bool:
    name = osp.basename(path or '')
    return name.startswith('voc') and name.endswith('.json')


def _check_pasted_objects(key: str, ds: dict) -> None:
    from mmnetaug.datasets.pasted_objects import (FASHION_MNIST_ROOT,
                                                  missing_files_message)
    split = ds.get('split') or ('test' if ds.get('test_mode') else 'train')
    message = missing_files_message(
        ds.get('data_root') or FASHION_MNIST_ROOT, split)
    if message:
        raise FileNotFoundError(f'{key}: {message}')


def check_datasets(cfg, keys=('train_dataloader', 'val_dataloader',
                              'test_dataloader')) -> None:
    """Raise ``FileNotFoundError`` naming the missing path and the layout."""
    for key in keys:
        loader = cfg.get(key)
        if not loader:
            continue
        for ds in _dataset_cfgs(loader.get('dataset')):
            if str(ds.get('type', '')).endswith(
                    ('PastedObjectsDataset', 'FashionItemsDataset')):
                _check_pasted_objects(key, ds)
                continue
            root = ds.get('data_root', '') or ''
            prefix = ds.get('data_prefix', {}) or {}
            wanted = [('ann_file', _path(root, ds.get('ann_file')))]
            wanted += [(f'data_prefix.{k}', _path(root, v))
                       for k, v in prefix.items() if v]
            for field, path in wanted:
                if path and not osp.exists(path) and \
                        field == 'ann_file' and _is_voc_coco_file(path):
                    raise FileNotFoundError(
                        f'{key}: {field} {path!r} does not exist. '
                        f'{_voc_converter_hint(root)} (it reads '
                        f'{root or "."}/VOC2007 and VOC2012), or point '
                        f'{key}.dataset.ann_file elsewhere with '
                        '--cfg-options.')
                if path and not osp.exists(path):
                    kind = str(ds.get('type', ''))
                    layout = LAYOUTS.get(kind.split('.')[-1], '')
                    raise FileNotFoundError(
                        f'{key}: {field} {path!r} does not exist. The '
                        f'{kind or "dataset"} is expected under data_root '
                        f'{root!r}' + (f' in the {layout}' if layout else '')
                        + '. Download/link the dataset there, or point '
                        'data_root elsewhere with --cfg-options '
                        f'{key}.dataset.data_root=/path/to/data/')
