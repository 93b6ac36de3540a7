"""Optional downstream packages and the install extras that bring them.

amd_mm's core is image-only (mmpretrain). mmaction2 (video pre-training and
MMAction2 transfer), mmdet (ViTDet) and mmsegmentation come with extras::

    pip install "amd-mm[video]"      # mmaction2, decord, av
    pip install "amd-mm[det]"        # mmdet
    pip install "amd-mm[seg]"        # mmsegmentation
    pip install "amd-mm[teachers]"   # timm, transformers (teachers from their files)

A package that is **not installed** is optional: the amd_mm modules that need
it at import time are replaced by placeholders whose registered classes raise
an ImportError naming the extra when a config builds them, and
:func:`check_config` names the extra as soon as a config refers to the
package. A package that is installed but **fails to import** is not hidden:
:mod:`amd_mm.registry` lets its own error through.

This module imports nothing heavy: :mod:`amd_mm.compat` uses it before
MMEngine parses a config.
"""
import ast
import importlib.util
import os
import os.path as osp
import sys
import types

# import name -> (pip distribution, amd-mm extra)
EXTRAS = {
    'mmaction': ('mmaction2', 'video'),
    'mmdet': ('mmdet', 'det'),
    'mmseg': ('mmsegmentation', 'seg'),
    'timm': ('timm', 'teachers'),
    'transformers': ('transformers', 'teachers'),
}
# names a config may use for the same packages (`mmaction2::` is not valid
# for MMEngine, but `_scope_`/`default_scope` and type prefixes use these)
_ALIASES = {'mmaction2': 'mmaction', 'mmsegmentation': 'mmseg'}
# amd_mm types that build a model of an optional package
_TYPES = {'TimmTeacher': 'timm', 'HFTeacher': 'transformers'}

PLACEHOLDERS = {}  # module name -> missing package, filled by install_placeholders()


def is_installed(module):
    """Whether ``module`` can be found (not whether it imports cleanly)."""
    if module in sys.modules and sys.modules[module] is not None:
        return True
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def missing(module):
    """True when ``module`` is one of the optional packages and absent."""
    module = _ALIASES.get(module, module)
    return module in EXTRAS and not is_installed(module)


def extra_message(module, needed_by=None):
    module = _ALIASES.get(module, module)
    dist, extra = EXTRAS[module]
    what = f'{needed_by} needs' if needed_by else 'this needs'
    return (f'{what} {dist} (`import {module}`), which is not installed. '
            f'Install amd_mm with its "{extra}" extra: pip install "amd-mm[{extra}]" '
            f'(or `pip install {dist}`; tools/setup_env.sh installs everything).')


class MissingExtraError(ImportError):
    """An optional package (mmaction2, mmdet, mmsegmentation) is not installed."""


def require(module, needed_by=None):
    """Raise :class:`MissingExtraError` naming the extra if ``module`` is absent."""
    if missing(module):
        raise MissingExtraError(extra_message(module, needed_by))


# --------------------------------------------------------------------------
# configs


def config_packages(cfg):
    """Optional packages a config refers to: ``default_scope``, ``_scope_``
    values and ``type='pkg.Name'`` prefixes anywhere in it."""
    found = set()

    def visit(node):
        if isinstance(node, dict):
            for key, value in node.items():
                head = None
                if key == 'type' and isinstance(value, str) and value in _TYPES:
                    head = _TYPES[value]
                elif key == 'type' and isinstance(value, str) and '.' in value:
                    head = value.split('.')[0]
                elif key in ('_scope_', 'default_scope') and isinstance(value, str):
                    head = value
                head = _ALIASES.get(head, head)
                if head in EXTRAS:
                    found.add(head)
                visit(value)
        elif isinstance(node, (list, tuple)):
            for value in node:
                visit(value)

    visit(dict(cfg.items()) if hasattr(cfg, 'items') else cfg)
    return found


def check_config(cfg, name=None):
    """Raise :class:`MissingExtraError` if ``cfg`` needs a package that is not
    installed, naming the extra that brings it."""
    name = name or getattr(cfg, 'filename', None) or 'this config'
    for module in sorted(config_packages(cfg)):
        require(module, needed_by=osp.basename(str(name)))


# --------------------------------------------------------------------------
# placeholders for amd_mm modules that import a missing package at import time


def _top_level_imports(tree):
    for node in tree.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split('.')[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split('.')[0]


def _registry_of(decorators):
    """Which amd_mm registry a class decorator list registers into."""
    text = ' '.join(ast.unparse(d) for d in decorators)
    for marker, registry in (('DATASETS', 'DATASETS'), ('TRANSFORMS', 'TRANSFORMS'),
                             ('HOOKS', 'HOOKS'), ('register_model', 'MODELS'),
                             ('MMACTION_MODELS', None), ('MMDET_MODELS', None),
                             ('MODELS', 'MODELS')):
        if marker in text:
            return registry
    return None


def _placeholder(module_name, path, package, tree):
    message = extra_message(package, needed_by=f'`{module_name}`')
    module = types.ModuleType(module_name, f'Placeholder: {message}')
    module.__file__ = path
    module.__amd_mm_missing__ = package

    def stub(name, bases=(object, )):
        def fail(*args, **kwargs):
            raise MissingExtraError(extra_message(package, needed_by=f'`{name}`'))
        if bases is None:
            fail.__name__ = name
            return fail
        return type(name, (object, ), {'__init__': fail, '__doc__': message,
                                       '__module__': module_name})

    names, registered = [], []
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            setattr(module, node.name, stub(node.name))
            names.append(node.name)
            registry = _registry_of(node.decorator_list)
            if registry is not None:
                registered.append((registry, node.name))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            setattr(module, node.name, stub(node.name, bases=None))
            names.append(node.name)
    module.__all__ = [n for n in names if not n.startswith('_')]

    def __getattr__(name):  # anything else the real module would define
        if name.startswith('__'):
            raise AttributeError(name)
        raise MissingExtraError(extra_message(package, needed_by=f'`{module_name}.{name}`'))

    module.__getattr__ = __getattr__
    return module, registered


def install_placeholders(root=None):
    """Put placeholders into ``sys.modules`` for every amd_mm module whose
    module-level imports name a missing optional package, and register their
    classes' stubs where the real classes would be registered. Returns the
    placeholder module names."""
    missing_now = {m for m in EXTRAS if missing(m)}
    if not missing_now:
        return []
    from . import registry as amd_registry
    root = root or osp.dirname(osp.abspath(__file__))
    installed = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(('.', '__')))
        for file in sorted(files):
            if not file.endswith('.py'):
                continue
            path = osp.join(folder, file)
            relative = osp.relpath(path, osp.dirname(root))[:-3].replace(os.sep, '.')
            name = relative[:-len('.__init__')] if relative.endswith('.__init__') else relative
            if name in sys.modules or name in ('amd_mm.compat', 'amd_mm.extras', 'amd_mm.registry'):
                continue
            try:
                with open(path, encoding='utf-8') as f:
                    tree = ast.parse(f.read(), path)
            except (OSError, SyntaxError):
                continue
            needs = [m for m in _top_level_imports(tree) if m in missing_now]
            if not needs or file == '__init__.py':
                continue
            module, registered = _placeholder(name, path, needs[0], tree)
            sys.modules[name] = module
            parent, _, child = name.rpartition('.')
            if parent in sys.modules:
                setattr(sys.modules[parent], child, module)
            for registry_name, cls_name in registered:
                registry = getattr(amd_registry, registry_name)
                if cls_name not in registry.module_dict:
                    registry.register_module(name=cls_name, module=getattr(module, cls_name))
            PLACEHOLDERS[name] = needs[0]
            installed.append(name)
    return installed
