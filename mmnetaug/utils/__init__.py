from .dataset_check import check_datasets
from .dist import setup_cpu_distributed

__all__ = ['check_datasets', 'setup_cpu_distributed']
