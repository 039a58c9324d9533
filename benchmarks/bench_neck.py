"""Forward+backward time of the NetAug YOLOv3 neck vs mmdet's YOLOV3Neck.

The NetAug neck at base width computes what the stock neck computes, from
slices of wider weights (and, after each concatenation, from the active
prefix of each part). This measures what that costs per training pass:
both necks hold the same weights, run in train mode on the same inputs,
and are timed alternately (the order flips every repetition) so drifting
machine load hits both alike. Reported: median ms per pass and the ratio
NetAug / stock, at base width and, for reference, at max width.

    python benchmarks/bench_neck.py [--reps 30] [--batch 8] [--size 320]
"""
import argparse
import os.path as osp
import statistics
import sys
import time

import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmdet.models.necks import YOLOV3Neck  # noqa: E402

from mmnetaug.models import NetAugYOLOV3Neck  # noqa: E402
from mmnetaug.space import set_base, set_max  # noqa: E402

# (name, neck in_channels, out_channels, backbone widths x2.6 for max width)
SETTINGS = [
    ('mbv2-1.0 (mmdet)', [320, 96, 32], [96, 96, 96], [832, 248, 80]),
    ('mbv2-0.35 (tiny)', [112, 32, 16], [64, 64, 64], [288, 80, 40]),
]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--reps', type=int, default=30)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--size', type=int, default=320,
                        help='input image size; features at /8, /16, /32')
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument('--device', default='cpu')
    return parser.parse_args()


def features(widths, batch, size, device):
    """Backbone features, high resolution first."""
    return [
        torch.randn(batch, c, size // s, size // s, device=device)
        for c, s in zip(widths[::-1], (8, 16, 32))
    ]


def step(neck, feats, device):
    """One forward + backward; returns seconds."""
    if device.startswith('cuda'):
        torch.cuda.synchronize()
    start = time.perf_counter()
    outs = neck(feats)
    sum(o.mean() for o in outs).backward()
    if device.startswith('cuda'):
        torch.cuda.synchronize()
    return time.perf_counter() - start


def bench(models, feats, args):
    """Median seconds of each model, interleaved, order flipped each rep."""
    times = {name: [] for name in models}
    names = list(models)
    for rep in range(args.warmup + args.reps):
        order = names if rep % 2 == 0 else names[::-1]
        for name in order:
            model, inputs = models[name], feats[name]
            model.zero_grad(set_to_none=True)
            seconds = step(model, inputs, args.device)
            if rep >= args.warmup:
                times[name].append(seconds)
    return {name: statistics.median(t) for name, t in times.items()}


def main():
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f'device={args.device} threads={torch.get_num_threads()} '
          f'batch={args.batch} size={args.size} reps={args.reps} '
          f'(median ms per forward+backward, train mode)')
    header = (f"{'setting':<18} {'neck':<22} {'stock':>8} {'netaug':>8} "
              f"{'ratio':>6}")
    print(header)
    print('-' * len(header))
    for name, in_c, out_c, max_in in SETTINGS:
        stock = YOLOV3Neck(3, in_c, out_c).to(args.device).train()
        base_feats = features(in_c, args.batch, args.size, args.device)
        models, feats = {'stock': stock}, {'stock': base_feats}
        variants = {
            'netaug': dict(),
            'netaug outputs': dict(augment_outputs=True),
        }
        for key, kwargs in variants.items():
            neck = NetAugYOLOV3Neck(3, in_c, out_c, **kwargs)
            neck.load_state_dict(stock.state_dict())
            set_base(neck)
            models[key] = neck.to(args.device).train()
            feats[key] = base_feats
        wide = NetAugYOLOV3Neck(3, in_c, out_c, augment_outputs=True)
        set_max(wide)
        models['netaug max'] = wide.to(args.device).train()
        feats['netaug max'] = features(max_in, args.batch, args.size,
                                       args.device)
        medians = bench(models, feats, args)
        ref = medians['stock']
        rows = [('base, outputs fixed', 'netaug'),
                ('base, augment_outputs', 'netaug outputs'),
                ('max width (reference)', 'netaug max')]
        for label, key in rows:
            print(f'{name:<18} {label:<22} {ref * 1e3:8.2f} '
                  f'{medians[key] * 1e3:8.2f} {medians[key] / ref:6.2f}')


if __name__ == '__main__':
    main()
