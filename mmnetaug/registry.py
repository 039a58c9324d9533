"""Registries of mmnetaug, children of mmengine's root registries.

Like mmyolo's, they hang directly under the root: that is what lets stock
mmdet configs (default scope ``mmdet``) name our modules
``'mmnetaug.NetAugX'``; the ``locations`` make that prefix work without
``custom_imports``.
"""
from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import Registry

MODELS = Registry(
    'model',
    parent=MMENGINE_MODELS,
    scope='mmnetaug',
    locations=['mmnetaug.ops', 'mmnetaug.models'])
LOOPS = Registry(
    'loop', parent=MMENGINE_LOOPS, scope='mmnetaug',
    locations=['mmnetaug.engine'])
HOOKS = Registry(
    'hook', parent=MMENGINE_HOOKS, scope='mmnetaug',
    locations=['mmnetaug.engine'])
DATASETS = Registry(
    'dataset', parent=MMENGINE_DATASETS, scope='mmnetaug',
    locations=['mmnetaug.datasets'])
DATA_SAMPLERS = Registry(
    'data sampler', parent=MMENGINE_DATA_SAMPLERS, scope='mmnetaug',
    locations=['mmnetaug.datasets'])
METRICS = Registry(
    'metric', parent=MMENGINE_METRICS, scope='mmnetaug',
    locations=['mmnetaug.evaluation'])
