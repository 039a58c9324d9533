"""Peak memory of one NetAug iteration vs the widest pass alone.

Each case runs in a fresh process on the same synthetic batch (YOLOv3 +
NetAug MobileNetV2, backbone at max width for the wide pass):
  * ``netaug``: base pass forward+backward, then the max-width pass
    forward+backward (what the NetAug loop does, with the widest sample);
  * ``widest``: the max-width pass forward+backward alone.
On CUDA the peak is ``torch.cuda.max_memory_allocated``; on CPU the growth
of the process's peak RSS over the model-building baseline. Goal: ratio
<= 1.15 (two backward passes keep the peak at max(base, wide), not the sum).

    python benchmarks/bench_memory.py [--device cuda] [--batch 8]
"""
import argparse
import os.path as osp
import resource
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def run_case(case, device, batch, size, config):
    sys.path.insert(0, ROOT)
    sys.path.insert(0, osp.join(ROOT, 'benchmarks'))
    import torch
    from mmengine.config import Config

    from bench_speed import synthetic_batch
    from mmnetaug.export import build_detector
    from mmnetaug.space import set_base, set_max
    dev = torch.device(device)
    model = build_detector(Config.fromfile(osp.join(ROOT, config)))
    model.to(dev).train()
    inputs, samples = synthetic_batch(batch, size, dev)

    def step():
        model.parse_losses(model.loss(inputs, samples))[0].backward()

    if dev.type == 'cuda':
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        start = torch.cuda.memory_allocated()
    else:
        start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if case == 'netaug':
        set_base(model)
        step()
    set_max(model)
    step()
    if dev.type == 'cuda':
        torch.cuda.synchronize()
        peak = torch.cuda.max_memory_allocated() - start
    else:
        peak = resource.getrusage(
            resource.RUSAGE_SELF).ru_maxrss * 1024 - start
    print(peak)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--size', type=int, default=320)
    parser.add_argument('--config', default='configs/netaug_yolo_mbv2.py')
    parser.add_argument('--case', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        return run_case(args.case, args.device, args.batch, args.size,
                        args.config)
    peaks = {}
    for case in ('widest', 'netaug'):
        out = subprocess.run(
            [sys.executable, __file__, '--case', case, '--device',
             args.device, '--batch', str(args.batch), '--size',
             str(args.size), '--config', args.config],
            capture_output=True, text=True, check=True).stdout
        peaks[case] = int(out.strip().splitlines()[-1])
    print(f'{args.config}, {args.device}, batch {args.batch}, {args.size}px')
    for case, peak in peaks.items():
        print(f'{case:8s} peak {peak / 2**20:9.1f} MiB')
    print(f"ratio netaug / widest: {peaks['netaug'] / peaks['widest']:.3f}")


if __name__ == '__main__':
    main()
