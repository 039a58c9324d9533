"""What a measured run depended on, so that runs from different machines
and sessions are paired only when they are comparable."""
import os
import platform
from typing import Dict, Iterable, List

# a result depends on these: numerics (torch, numpy, mmcv ops), image
# drawing and resizing (opencv), the code paths (mmdet, mmengine) and the
# thread count (reduction order)
VERSIONED = ('python', 'torch', 'numpy', 'opencv', 'mmcv', 'mmdet',
             'mmengine', 'torch_threads')


def run_environment() -> Dict[str, str]:
    """Versions and thread settings of this process, as strings."""
    import cv2
    import mmcv
    import mmdet
    import mmengine
    import numpy
    import torch
    return dict(
        python=platform.python_version(), torch=torch.__version__,
        numpy=numpy.__version__, opencv=cv2.__version__,
        mmcv=mmcv.__version__, mmdet=mmdet.__version__,
        mmengine=mmengine.__version__,
        torch_threads=str(torch.get_num_threads()),
        omp_num_threads=os.environ.get('OMP_NUM_THREADS', 'unset'),
        machine=platform.machine())


def environment_mismatch(runs: Iterable[dict]) -> List[str]:
    """The versioned fields that differ between ``runs`` (each with an
    ``env`` dict; a run without one counts as 'unrecorded')."""
    seen = {}
    for run in runs:
        env = run.get('env') or {}
        for field in VERSIONED:
            seen.setdefault(field, set()).add(env.get(field, 'unrecorded'))
    return [f'{field}: {sorted(values)}' for field, values in seen.items()
            if len(values) > 1]


def check_pairable(runs: Iterable[dict], what: str,
                   allow_mixed: bool = False) -> None:
    """Raise unless ``runs`` share their versions and thread count."""
    mismatch = environment_mismatch(runs)
    if mismatch and not allow_mixed:
        raise ValueError(
            f'{what}: the runs were made with different versions or thread '
            f'counts ({"; ".join(mismatch)}), so their difference may be '
            'the environment, not the method. Rerun them in one '
            'environment, or pass --allow-mixed-versions to pair them '
            'anyway (the report then says so)')
