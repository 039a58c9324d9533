"""Training and inference time of NetAug vs stock mmdet, side by side.

Prints, in one run, the median time of interleaved repetitions and their
ratio for
  * the backbones: NetAugMobileNetV2 at base width vs mmdet's MobileNetV2,
    NetAugCSPDarknet (YOLOX-nano's settings) vs mmdet's CSPDarknet,
    NetAugCSPNeXt (RTMDet-tiny's settings) vs mmdet's CSPNeXt,
  * per detector (``--detectors``: YOLOv3-MobileNetV2, YOLOX-nano,
    RTMDet-tiny), the
    NetAug config at base width vs its baseline twin (loss forward +
    backward on a synthetic batch), goal <= 1.05 for both,
  * one NetAug iteration (base + one sampled wide pass) vs a static base
    iteration plus a static iteration of that same wide architecture
    (goal <= 1.10: nothing beyond the compute NetAug must do),
  * one NetAug iteration vs one baseline iteration (report),
  * the exported detector vs the baseline twin: parameters and MACs (must
    be equal) and inference latency (ratio ~1.00).
Usage:
    python benchmarks/bench_speed.py [--widen 1.0] [--size 320] [--batch 8]
        [--detectors YOLOv3 YOLOX-nano RTMDet-tiny]
"""
import argparse
import os.path as osp
import statistics
import sys
import time

import torch

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmdet.models.backbones import (CSPDarknet, CSPNeXt,  # noqa: E402
                                    MobileNetV2)
from mmdet.structures import DetDataSample  # noqa: E402
from mmengine.analysis import get_model_complexity_info  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.structures import InstanceData  # noqa: E402

from mmnetaug.engine.netaug_step import iteration_generator  # noqa: E402
from mmnetaug.export import build_detector, run_forward, to_static  # noqa
from mmnetaug.models import (NetAugCSPDarknet, NetAugCSPNeXt,  # noqa
                             NetAugMobileNetV2)
from mmnetaug.space import (current_config, sample_wide, set_base,  # noqa
                            set_config)

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
# name: (NetAug config, baseline twin), the configs as they ship
DETECTORS = {
    'YOLOv3': ('configs/netaug_yolo_mbv2.py', 'configs/baseline_yolo_mbv2.py'),
    'YOLOX-nano': ('configs/yolox/netaug_yolox_nano.py',
                   'configs/yolox/baseline_yolox_nano.py'),
    'RTMDet-tiny': ('configs/rtmdet/netaug_rtmdet_tiny_coco.py',
                    'configs/rtmdet/baseline_rtmdet_tiny_coco.py'),
}
# the backbones as mmdet's configs set them (no checkpoint: nothing loads)
BACKBONES = {
    'CSPDarknet (YOLOX-nano)': (CSPDarknet, NetAugCSPDarknet, dict(
        deepen_factor=0.33, widen_factor=0.25, use_depthwise=True)),
    'CSPNeXt (RTMDet-tiny)': (CSPNeXt, NetAugCSPNeXt, dict(
        deepen_factor=0.167, widen_factor=0.375, expand_ratio=0.5,
        channel_attention=True)),
}


def interleaved(fns: dict, reps: int, warmup: int = 2) -> dict:
    """Median seconds per call of each fn, calls interleaved A B A B ..."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times = {k: [] for k in fns}
    for _ in range(reps):
        for key, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[key].append(time.perf_counter() - start)
    return {k: statistics.median(v) for k, v in times.items()}


def sync():
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def fwd_bwd(model, x):
    def run():
        outs = model(x)
        sum(o.float().mean() for o in outs).backward()
        sync()
    return run


def synthetic_batch(batch, size, device, num_classes=80):
    gen = torch.Generator().manual_seed(0)
    inputs = torch.randn(batch, 3, size, size, generator=gen)
    samples = []
    for _ in range(batch):
        s = DetDataSample(metainfo=dict(img_shape=(size, size),
                                        pad_shape=(size, size),
                                        batch_input_shape=(size, size)))
        xy = torch.rand(3, 2, generator=gen) * size * 0.6
        wh = torch.rand(3, 2, generator=gen) * size * 0.3 + 8
        s.gt_instances = InstanceData(
            bboxes=torch.cat([xy, xy + wh], 1),
            labels=torch.randint(num_classes, (3, ), generator=gen))
        samples.append(s.to(device))
    return inputs.to(device), samples


def detector_step(model, inputs, samples):
    def run():
        losses = model.loss(inputs, samples)
        model.parse_losses(losses)[0].backward()
        sync()
    return run


def netaug_step(model, inputs, samples):
    it = [0]

    def run():
        set_base(model)
        detector_step(model, inputs, samples)()
        sample_wide(model, iteration_generator(0, it[0]))
        detector_step(model, inputs, samples)()
        set_base(model)
        it[0] += 1
    return run


def netaug_step_at(model, config, inputs, samples):
    """One NetAug iteration whose wide pass is ``config``."""
    def run():
        set_base(model)
        detector_step(model, inputs, samples)()
        set_config(model, config)
        detector_step(model, inputs, samples)()
        set_base(model)
    return run


def infer(model, inputs):
    def run():
        with torch.no_grad():
            run_forward(model, inputs)
        sync()
    return run


def complexity(model, size):
    info = get_model_complexity_info(model.eval(), (3, size, size),
                                     show_table=False, show_arch=False)
    return info['flops'], sum(p.numel() for p in model.parameters())


def row(name, res, a, b):
    print(f'{name:48s} {res[a] * 1e3:9.1f} ms {res[b] * 1e3:9.1f} ms '
          f'{res[a] / res[b]:7.3f}')


def detector_rows(name, netaug_path, base_path, args, dev):
    """The detector rows of one config pair: at base width vs the twin, a
    NetAug iteration vs its static base + wide floor, the deployed model."""
    netaug_cfg = Config.fromfile(osp.join(ROOT, netaug_path))
    base_cfg = Config.fromfile(osp.join(ROOT, base_path))
    netaug_det = build_detector(netaug_cfg).to(dev).train()
    base_det = build_detector(base_cfg).to(dev).train()
    inputs, samples = synthetic_batch(args.batch, args.size, dev)
    res = interleaved(
        dict(netaug=detector_step(netaug_det, inputs, samples),
             stock=detector_step(base_det, inputs, samples),
             netaug_iter=netaug_step(netaug_det, inputs, samples)),
        args.reps)  # fewer reps swung this ratio by +-0.08 on the CPU
    row(f'{name} detector loss fwd+bwd at base width', res, 'netaug',
        'stock')
    row(f'{name} NetAug iteration (base+wide) vs baseline', res,
        'netaug_iter', 'stock')
    # the same wide architectures as static models: NetAug's own overhead
    ratios = []
    set_base(netaug_det)
    shape = (1, 3, args.size, args.size)
    static_base = to_static(netaug_det, shape).to(dev).train()
    base_step = detector_step(static_base, inputs, samples)
    for it in range(args.wide_samples):
        sample_wide(netaug_det, iteration_generator(0, it))
        config = current_config(netaug_det)
        set_base(netaug_det)
        static_wide = to_static(netaug_det, shape, config).to(dev).train()
        wide_step = detector_step(static_wide, inputs, samples)

        def static_pair():
            base_step()
            wide_step()
        res = interleaved(
            dict(netaug=netaug_step_at(netaug_det, config, inputs, samples),
                 static=static_pair), max(3, args.reps // 2))
        ratios.append(res['netaug'] / res['static'])
        row(f'{name} NetAug iter vs static base+wide (s{it})', res,
            'netaug', 'static')
        del static_wide
    print(f"{'  median over the samples':48s} {'':12s} {'':12s} "
          f'{statistics.median(ratios):7.3f}')

    # deployment: the exported detector against the baseline twin
    set_base(netaug_det)
    exported = to_static(netaug_det, shape).to(dev)
    base_det.eval()
    (emacs, eparams), (bmacs, bparams) = (complexity(exported, args.size),
                                          complexity(base_det, args.size))
    print(f"{name + ' exported vs twin: params':48s} {eparams:12d} "
          f'{bparams:12d} {eparams / bparams:7.3f}')
    print(f"{name + ' exported vs twin: MACs':48s} {emacs:12d} "
          f'{bmacs:12d} {emacs / bmacs:7.3f}')
    x_inf = torch.randn(1, 3, args.size, args.size, device=dev)
    res = interleaved(dict(exported=infer(exported, x_inf),
                           stock=infer(base_det, x_inf)), args.reps * 3)
    row(f'{name} latency, batch 1: exported vs twin', res,
        'exported', 'stock')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--widen', type=float, default=1.0,
                        help='MobileNetV2 backbone rows only; the other rows '
                        'use the shipped configs as they are')
    parser.add_argument('--size', type=int, default=320)
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--reps', type=int, default=10)
    parser.add_argument('--wide-samples', type=int, default=3,
                        help='sampled wide architectures to time statically')
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument('--device', default='cpu', help='cpu or cuda')
    parser.add_argument('--detectors', nargs='+', default=list(DETECTORS),
                        choices=list(DETECTORS))
    args = parser.parse_args()
    dev = torch.device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    where = (torch.cuda.get_device_name(dev) if dev.type == 'cuda' else
             f'CPU, {torch.get_num_threads()} threads')
    print(f'torch {torch.__version__}, {where}, batch {args.batch}, '
          f'{args.size}px, widen {args.widen}')
    print(f"{'':48s} {'netaug':>12s} {'stock':>12s} {'ratio':>7s}")
    x = torch.randn(args.batch, 3, args.size, args.size, device=dev)
    for out_indices in ((2, 4, 6), (4, 7)):
        stock = MobileNetV2(widen_factor=args.widen, out_indices=out_indices)
        netaug = NetAugMobileNetV2(widen_factor=args.widen,
                                   out_indices=out_indices)
        stock.to(dev).train()
        netaug.to(dev).train()
        res = interleaved(dict(netaug=fwd_bwd(netaug, x),
                               stock=fwd_bwd(stock, x)), args.reps)
        row(f'backbone fwd+bwd, out_indices={out_indices}', res, 'netaug',
            'stock')
    for name, (stock_type, netaug_type, kwargs) in BACKBONES.items():
        stock = stock_type(**kwargs).to(dev)
        netaug = netaug_type(**kwargs).to(dev)
        stock.train()  # mmdet's CSP backbones' train() returns None
        netaug.train()
        res = interleaved(dict(netaug=fwd_bwd(netaug, x),
                               stock=fwd_bwd(stock, x)), args.reps)
        row(f'{name} fwd+bwd', res, 'netaug', 'stock')

    for name in args.detectors:
        netaug_cfg, base_cfg = DETECTORS[name]
        detector_rows(name, netaug_cfg, base_cfg, args, dev)


if __name__ == '__main__':
    main()
