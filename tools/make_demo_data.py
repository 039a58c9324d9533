"""Generate the demo's shapes dataset (COCO format) deterministically."""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmnetaug.datasets import make_shapes_dataset  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--root', default='data/demo/shapes')
    parser.add_argument('--num-train', type=int, default=600)
    parser.add_argument('--num-val', type=int, default=100)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--size', type=int, default=160)
    args = parser.parse_args(argv)
    info = make_shapes_dataset(args.root, args.num_train, args.num_val,
                               args.seed, args.size)
    print(f"shapes dataset ready in {info['root']}")


if __name__ == '__main__':
    main()
