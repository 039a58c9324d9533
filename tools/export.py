"""Export a NetAug checkpoint as a stock mmdet config + weights.

    python tools/export.py CONFIG CHECKPOINT --out-dir DIR [--name NAME]

writes DIR/NAME.py (stock mmdet types only; loads without mmnetaug) and
DIR/NAME.pth (loads into it with strict=True), after checking that the
exported model's outputs equal the supernet's at base width.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmengine.config import Config, DictAction  # noqa: E402

import mmnetaug  # noqa: E402,F401
from mmnetaug.export import export  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='the NetAug config trained with')
    parser.add_argument('checkpoint', help='NetAug training checkpoint')
    parser.add_argument('--out-dir', required=True, help='output folder')
    parser.add_argument('--name', help='file stem (default: config name)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings in the config, key=value')
    args = parser.parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    try:
        result = export(cfg, args.checkpoint, args.out_dir, name=args.name)
    except (ValueError, FileNotFoundError) as e:
        sys.exit(f'error: {e}')
    print(f"exported config: {result['config']}")
    print(f"exported weights: {result['checkpoint']}")
    print(f"params: {result['params']}; max abs diff vs supernet at base "
          f"width: {result['max_abs_diff']:.2e}")
    return result


if __name__ == '__main__':
    main()
