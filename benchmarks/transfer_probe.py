"""Does a pretraining setting's backbone carry into the detection task?

The fine-tuning pilot found the detector pretrained on plain items no
better than from scratch at 80 epochs. This probe asks why, one seed,
F = 20 epochs of the fine-tuning study's detector (YOLOv3 + MobileNetV2
x0.35 on pasted items, 96 px): the backbone frozen (every stage, BN
statistics fixed), so only features that already fit the task help, and
unfrozen, from

* random weights (frozen: the neck and head alone);
* the plain-items pretraining (the pilot's x0.35 at S, kept weights);
* a short pretraining on the detector's look (one item, 14-40 px, tinted,
  on a procedural background, 40 px), trained here.

Usage: ``python benchmarks/transfer_probe.py [--work-dir DIR]``; results
go to ``docs/results/transfer_probe.json`` (a run already there is kept,
a killed one resumes from its checkpoints). One thread per process
(``OMP_NUM_THREADS=1``), as every study here.
"""
import argparse
import os
import os.path as osp
import sys
from types import SimpleNamespace

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from studies import pretrain, worker  # noqa: E402
from studies.common import ROOT, key_of, locked_results, safe  # noqa: E402

DETECTION = 'pasted items, 96 px, from plain items, 32 px'
EPOCHS = 20  # the fine-tuning pilot's first F
PLAIN = 'plain items, 32 px'
PASTED = 'pasted items 14-40 px, 40 px'
PASTED_EPOCHS = 4
FROZEN = {'model.backbone.frozen_stages': 7,
          'model.backbone.norm_eval': True}
# name: (pretraining setting, its epochs, or None: random init), frozen
PROBES = {
    'random, frozen': (None, True),
    'random (from scratch)': (None, False),
    'plain items 32 px, frozen': ((PLAIN, 16), True),
    'plain items 32 px': ((PLAIN, 16), False),
    f'pasted items 40 px ({PASTED_EPOCHS} epochs), frozen':
        ((PASTED, PASTED_EPOCHS), True),
    f'pasted items 40 px ({PASTED_EPOCHS} epochs)':
        ((PASTED, PASTED_EPOCHS), False),
}


def pretraining(args, setting, epochs, results) -> str:
    """Kept weights of the x0.35 baseline pretrained ``epochs`` in
    ``setting``, seed 0: the study's kept ones, else trained here."""
    key = key_of(setting, 'baseline', 0.35, epochs, 0)
    _, weights = pretrain.kept_files(None, key)
    if osp.exists(weights):
        return weights
    _, weights = pretrain.kept_files(args.work_dir, key)
    if key not in results['runs'] or not osp.exists(weights):
        run = dict(key=key, setting=setting, arm='baseline', widen=0.35,
                   epochs=epochs, seed=0, val_every=1, keep=True)
        opts = SimpleNamespace(work_dir=args.work_dir, ckpt_every=1,
                               cfg_options=None, kept_dir=args.work_dir)
        record = worker.train_run(opts, run)
        with locked_results(args.out) as shared:
            shared['runs'][key] = record
    return weights


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/transfer_probe')
    parser.add_argument('--out', default=osp.join(
        ROOT, 'docs', 'results', 'transfer_probe.json'))
    args = parser.parse_args(argv)
    args.work_dir = osp.abspath(args.work_dir)
    os.chdir(ROOT)
    for name, (source, frozen) in PROBES.items():
        with locked_results(args.out) as results:
            pass
        key = key_of(DETECTION, safe(name), 0.35, EPOCHS, 0)
        if key in results['runs']:
            continue
        options = dict(FROZEN) if frozen else {}
        if source:
            options['model.backbone.init_cfg'] = dict(
                _delete_=True, type='Pretrained', prefix='backbone.',
                checkpoint=pretraining(args, *source, results))
        run = dict(key=key, setting=DETECTION, arm='scratch', widen=0.35,
                   epochs=EPOCHS, seed=0, val_every=5)
        record = worker.train_run(SimpleNamespace(
            work_dir=args.work_dir, ckpt_every=10, cfg_options=options,
            kept_dir=None), run)
        record.update(probe=name, frozen=frozen,
                      pretraining=list(source) if source else None)
        with locked_results(args.out) as results:
            results['runs'][key] = record
    with locked_results(args.out) as results:
        pass
    print('| probe | mAP at 20 epochs | curve |\n| --- | --- | --- |')
    for name in PROBES:
        r = results['runs'].get(key_of(DETECTION, safe(name), 0.35, EPOCHS,
                                       0))
        if r:
            print(f'| {name} | {r["bbox_mAP"]:.3f} | ' + ', '.join(
                f'{e}: {v:.3f}' for e, v in r['curve'].items()) + ' |')
    pasted = results['runs'].get(key_of(PASTED, 'baseline', 0.35,
                                        PASTED_EPOCHS, 0))
    if pasted:
        print(f'\npasted-items pretraining, {PASTED_EPOCHS} epochs: test '
              f'top-1 {pasted["top1"]:.2f}% ({pasted["core_seconds"]:.0f} '
              'core-s)')


if __name__ == '__main__':
    main()
