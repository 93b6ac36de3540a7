"""Where amd_mm's modules are registered.

Pre-training modules live in mmpretrain's registries, so configs keep
``default_scope='mmpretrain'``. mmaction2 and mmdet are optional (the
``video`` and ``det`` extras, see :mod:`amd_mm.extras`): when one is not
installed its registries below are detached placeholders (registering into
them does nothing). When one is installed it is imported eagerly here, so
that if it is broken the user sees its real error, not MMEngine's
misleading "Failed to import ``None.registry``" later on.
"""
import importlib

from mmengine.registry import Registry

from .extras import EXTRAS, missing


class _Missing:
    """Stands for the registry module of an optional package that is not
    installed: every registry it hands out is a detached one."""

    def __init__(self, package):
        self.package = package

    def __getattr__(self, name):
        registry = Registry(f'{name.lower()} of {EXTRAS[self.package][0]} (not installed)',
                            scope=f'{self.package}_missing')
        setattr(self, name, registry)
        return registry


def _import_registry(package, optional=False):
    if optional and missing(package):
        return _Missing(package)
    try:
        return importlib.import_module(f'{package}.registry')
    except Exception as error:  # re-raise with the package named
        raise ImportError(
            f'amd_mm needs `{package}` but `import {package}.registry` failed: '
            f'{type(error).__name__}: {error}. Run tools/setup_env.sh to '
            f'install the pinned stack.') from error


_mmpretrain = _import_registry('mmpretrain')
_mmaction = _import_registry('mmaction', optional=True)
_mmdet = _import_registry('mmdet', optional=True)
WITH_MMACTION = not isinstance(_mmaction, _Missing)
WITH_MMDET = not isinstance(_mmdet, _Missing)

MODELS = _mmpretrain.MODELS
DATASETS = _mmpretrain.DATASETS
TRANSFORMS = _mmpretrain.TRANSFORMS
HOOKS = _mmpretrain.HOOKS
VISUALIZERS = _mmpretrain.VISUALIZERS
OPTIM_WRAPPER_CONSTRUCTORS = _mmpretrain.OPTIM_WRAPPER_CONSTRUCTORS
PARAM_SCHEDULERS = _mmpretrain.PARAM_SCHEDULERS
MMACTION_MODELS = _mmaction.MODELS
MMDET_MODELS = _mmdet.MODELS
MMACTION_OPTIM_WRAPPER_CONSTRUCTORS = _mmaction.OPTIM_WRAPPER_CONSTRUCTORS
MMDET_OPTIM_WRAPPER_CONSTRUCTORS = _mmdet.OPTIM_WRAPPER_CONSTRUCTORS


def register_model(*registries):
    """Register a module class into mmpretrain's MODELS and, additionally,
    into the given downstream registries (e.g. :data:`MMACTION_MODELS`)."""

    def wrap(cls):
        MODELS.register_module(module=cls)
        for registry in registries:
            registry.register_module(module=cls)
        return cls

    return wrap
