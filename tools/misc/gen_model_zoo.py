"""Write the model zoo: ``configs/<folder>/metafile.yml`` and README.md per
config folder (mmdet's layout) and ``model-index.yml`` importing them.

MACs and parameters are counted on the detector each config deploys
(``mmnetaug.utils.complexity``); bbox mAP comes only from measured results
files (``--results``, written by ``benchmarks/accuracy.py``), as the mean
over seeds with its std. Configs never trained here say so.

    python tools/misc/gen_model_zoo.py            # rewrite the files
    python tools/misc/gen_model_zoo.py --check    # fail if they are stale
"""
import argparse
import glob
import json
import logging
import os.path as osp
import statistics
import sys
from collections import OrderedDict

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)

import yaml  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.logging import MMLogger  # noqa: E402

import mmnetaug  # noqa: E402,F401
from mmnetaug.utils.complexity import deployed_complexity  # noqa: E402

PAPER = OrderedDict(
    URL='https://arxiv.org/abs/2110.08890',
    Title='Network Augmentation for Tiny Deep Learning')
# folder: (collection name, README title)
FOLDERS = OrderedDict([
    ('configs', ('NetAug MobileNetV2',
                 'YOLOv3 and SSDLite on MobileNetV2 (COCO and Pascal VOC)')),
    ('configs/tiny_backbones',
     ('NetAug tiny backbones',
      "YOLOv3 on the paper's tiny backbones (COCO and Pascal VOC)")),
    ('configs/procedural',
     ('NetAug procedural shapes',
      'YOLOv3 + MobileNetV2 x0.35 on the procedural shapes task (the '
      'accuracy benchmark)')),
    ('configs/yolox',
     ('NetAug YOLOX',
      'YOLOX-nano and YOLOX-tiny on CSPDarknet (COCO and Pascal VOC)')),
    ('configs/rtmdet',
     ('NetAug RTMDet', 'RTMDet-tiny on CSPNeXt (COCO and Pascal VOC)')),
    ('configs/fashion',
     ('NetAug pasted Fashion-MNIST',
      'YOLOv3 + MobileNetV2 x0.35 (the where-NetAug-pays study), '
      'YOLOX-nano/tiny and RTMDet-tiny on Fashion-MNIST items pasted on '
      'procedural backgrounds')),
    ('configs/fashion_cls',
     ('NetAug Fashion-MNIST pretraining',
      'MobileNetV2 x0.35 classifiers on Fashion-MNIST items: the backbone '
      'pretraining (NetAug, KD) that configs/fashion/ fine-tunes')),
    ('configs/demo', ('NetAug demo', 'YOLOv3 + MobileNetV2 x0.35 on the '
                      'generated demo set')),
])
DEFAULT_RESULTS = ('docs/results/accuracy_quick.json', )


def dataset_name(cfg):
    ds = cfg.train_dataloader.dataset
    while 'dataset' in ds or 'datasets' in ds:
        ds = ds['dataset'] if 'dataset' in ds else ds['datasets'][0]
    name = ds.type.split('.')[-1]
    if name == 'CocoDataset' and 'voc' in ds.get('ann_file', '').lower():
        return 'Pascal VOC'  # VOC07+12 in COCO format (configs/rtmdet)
    return {
        'CocoDataset': 'COCO' if cfg.get('data_root', '') and 'coco' in
        cfg.data_root.lower() else 'COCO format',
        'VOCDataset': 'Pascal VOC',
        'ProceduralShapesDataset': 'procedural shapes',
        'PastedObjectsDataset': 'pasted Fashion-MNIST',
        'FashionItemsDataset': 'Fashion-MNIST items',
    }.get(name, name)


def effective_epochs(cfg):
    """Epochs over the data: mmdet's 300e YOLOv3 configs run 30 epochs of
    a RepeatDataset with times=10."""
    epochs = cfg.train_cfg.get('max_epochs')
    ds = cfg.train_dataloader.dataset
    while epochs is not None and 'dataset' in ds:
        epochs *= ds.get('times', 1)
        ds = ds['dataset']
    return epochs


def backbone_name(cfg):
    bb = cfg.model.backbone
    name = bb.type.split('.')[-1].replace('NetAug', '')
    if name == 'MobileNetV2':  # mmdet's default width
        return f"{name} x{bb.get('widen_factor', 1.0)}"
    width = bb.get('widen_factor')
    return f'{name} x{width}' if width else name


def measured(results_files):
    """{config path: ([bbox mAP per seed], results file)} of the plain
    (default) runs of the seeds study, the baseline twin and NetAug at the
    benchmark's width, on the seeds both twins have finished (paired)."""
    out = {}
    for path in results_files:
        if not osp.isfile(osp.join(ROOT, path)):
            continue
        data = json.load(open(osp.join(ROOT, path)))
        s = data['settings']
        if s.get('options'):
            continue
        by_arm = {}
        for arm in ('baseline', 'netaug'):
            prefix = f"{arm}|w{s['widen']}|default|e{s['epochs']}|s"
            by_arm[arm] = {
                int(k[len(prefix):]): r['bbox_mAP']
                for k, r in data['runs'].items()
                if k.startswith(prefix) and 'bbox_mAP' in r
            }
        seeds = sorted(set(by_arm['baseline']) & set(by_arm['netaug']))
        if seeds:
            for arm in ('baseline', 'netaug'):
                out[osp.normpath(s[arm])] = ([by_arm[arm][i] for i in seeds],
                                             path)
    return out


def describe(path, results):
    cfg = Config.fromfile(osp.join(ROOT, path))
    info = deployed_complexity(cfg)
    row = OrderedDict(
        config=path,
        name=osp.splitext(osp.basename(path))[0],
        detector=cfg.model.type,
        backbone=backbone_name(cfg),
        netaug=info['netaug'],
        input='x'.join(map(str, info['input_size'])),
        macs=info['macs'],
        params=info['params'],
        epochs=effective_epochs(cfg),
        optimizer=cfg.optim_wrapper.optimizer.type,
        dataset=dataset_name(cfg))
    if path in results:
        maps, source = results[path]
        row['map'] = maps
        row['source'] = source
    return row


def metafile(folder, title, rows):
    models = []
    for r in rows:
        techniques = [r['optimizer']] + (['NetAug'] if r['netaug'] else [])
        model = OrderedDict(
            Name=r['name'],
            **{'In Collection': title},
            Config=r['config'],
            Metadata=OrderedDict(
                [('Training Data', r['dataset']),
                 ('Training Techniques', techniques), ('Epochs', r['epochs']),
                 ('Input Size', r['input']), ('MACs', r['macs']),
                 ('Parameters', r['params'])]))
        if 'map' in r:
            model['Results'] = [
                OrderedDict(
                    Task='Object Detection',
                    Dataset=r['dataset'],
                    Metrics={
                        'box AP':
                        round(100 * statistics.mean(r['map']), 1)
                    })
            ]
        models.append(model)
    collection = OrderedDict(
        Name=title,
        Metadata=OrderedDict(Architecture=sorted(
            {r['detector'] for r in rows} | {r['backbone']
                                              for r in rows})),
        Paper=PAPER,
        README=f'{folder}/README.md')
    return dict(Collections=[collection], Models=models)


def fmt_map(r):
    if 'map' not in r:
        return 'not measured', '-'
    maps = [100 * m for m in r['map']]
    std = statistics.stdev(maps) if len(maps) > 1 else 0.0
    return (f'{statistics.mean(maps):.1f} +/- {std:.1f} '
            f'({len(maps)} seeds, paired with its twin)', f"[json](/{r['source']})")


def readme(folder, title, rows):
    lines = [
        f'# {title}', '',
        'Generated by `tools/misc/gen_model_zoo.py`; do not edit by hand. '
        'MACs and parameters are those of the detector the config deploys '
        '(for NetAug configs the exported stock model, the same as the '
        'baseline twin), one image at the input size, counted by '
        '`mmengine.analysis` (backbone, neck and head). bbox mAP is the mean '
        '+/- std over seeds of measured runs only; what it means, with '
        "NetAug's controls, is in the top-level README (Results).", '',
        '| config | detector | backbone | NetAug | input | MACs | params | '
        'epochs | data | bbox mAP | source |',
        '|---|---|---|---|---|---|---|---|---|---|---|'
    ]
    for r in rows:
        result, source = fmt_map(r)
        lines.append(
            f"| [{r['name']}]({osp.basename(r['config'])}) | {r['detector']} "
            f"| {r['backbone']} | {'yes' if r['netaug'] else 'no'} "
            f"| {r['input']} | {r['macs'] / 1e6:.1f}M "
            f"| {r['params'] / 1e6:.3f}M | {r['epochs']} | {r['dataset']} "
            f'| {result} | {source} |')
    lines += [
        '', '## Citation', '', '```bibtex',
        '@inproceedings{cai2022network,',
        '  title     = {Network Augmentation for Tiny Deep Learning},',
        '  author    = {Cai, Han and Gan, Chuang and Lin, Ji and Han, Song},',
        '  booktitle = {International Conference on Learning '
        'Representations (ICLR)},', '  year      = {2022}', '}', '```', ''
    ]
    return '\n'.join(lines)


def ordered_dump(data):

    class Dumper(yaml.SafeDumper):
        pass

    Dumper.add_representer(
        OrderedDict,
        lambda d, v: d.represent_mapping('tag:yaml.org,2002:map', v.items()))
    return yaml.dump(data, Dumper=Dumper, sort_keys=False, width=79)


def generate(results_files):
    results = measured(results_files)
    files = OrderedDict()
    for folder, (collection, title) in FOLDERS.items():
        paths = sorted(
            osp.relpath(p, ROOT)
            for p in glob.glob(osp.join(ROOT, folder, '*.py')))
        rows = [describe(p, results) for p in paths]
        files[f'{folder}/metafile.yml'] = ordered_dump(
            metafile(folder, collection, rows))
        files[f'{folder}/README.md'] = readme(folder, title, rows)
    files['model-index.yml'] = (
        '# Model index read by mmengine/mim: one metafile per config folder '
        '(tools/misc/gen_model_zoo.py)\n' + ordered_dump(
            dict(Import=[f'{f}/metafile.yml' for f in FOLDERS])))
    return files


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--results', nargs='+', default=DEFAULT_RESULTS,
                        help='results JSON files of benchmarks/accuracy.py')
    parser.add_argument('--check', action='store_true',
                        help='exit 1 if any file differs; write nothing')
    args = parser.parse_args()
    # mmengine's counter warns about every op it does not count (BN, add)
    MMLogger.get_current_instance().setLevel(logging.ERROR)
    files = generate(args.results)
    stale = []
    for name, text in files.items():
        path = osp.join(ROOT, name)
        old = open(path).read() if osp.isfile(path) else None
        if old != text:
            stale.append(name)
            if not args.check:
                with open(path, 'w') as f:
                    f.write(text)
    verb = 'stale' if args.check else 'written'
    print(f'{verb}: ' + (', '.join(stale) if stale else 'none'))
    sys.exit(1 if args.check and stale else 0)


if __name__ == '__main__':
    main()
