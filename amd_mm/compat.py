"""Fixes for the upstream incompatibilities of the pinned OpenMMLab stack.

Imported first by :mod:`amd_mm`. Each fix checks whether the installed versions
need it and otherwise does nothing; :data:`APPLIED` records which ones ran.
"""
import importlib
import importlib.util
import os
import re
import sys
import types

APPLIED = []


def torchvision_ops_schema():
    """PyPI torchvision (a CUDA build) beside CPU torch: its ``_C`` fails to
    load and ``import torchvision`` dies with ``operator torchvision::nms does
    not exist``. Declaring the two op schemas it registers unconditionally
    lets the pure-Python parts import; its C ops stay unavailable (use
    ``mmcv.ops``)."""
    if 'torchvision' in sys.modules or importlib.util.find_spec('torchvision') is None:
        return False
    import torch
    try:
        torch._C._dispatch_find_schema_or_throw('torchvision::nms', '')
        return False  # torchvision's own C extension already declared it
    except RuntimeError:
        pass
    if not _cpu_torch_beside_cuda_torchvision():
        return False
    global _TORCHVISION_LIB  # must outlive this call, or the schemas vanish
    _TORCHVISION_LIB = torch.library.Library('torchvision', 'DEF')
    _TORCHVISION_LIB.define(
        'nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor')
    _TORCHVISION_LIB.define(
        'qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor')
    APPLIED.append('torchvision_ops_schema')
    return True


def _cpu_torch_beside_cuda_torchvision():
    """Read torchvision's build flavour from its ``version.py`` without
    importing the package (a failed import leaves half-built modules)."""
    import os
    import torch
    spec = importlib.util.find_spec('torchvision')
    version_file = os.path.join(os.path.dirname(spec.origin), 'version.py')
    try:
        text = open(version_file).read()
    except OSError:
        return False
    match = re.search(r"^__version__\s*=\s*'([^']*)'", text, re.M)
    # PyPI's Linux torchvision wheels are CUDA builds unless tagged '+cpu'.
    return (torch.version.cuda is None and match is not None
            and not match.group(1).endswith('+cpu'))


def mmaction_drn_placeholder():
    """mmaction2 1.2.0's wheel lacks ``mmaction/models/localizers/drn/``
    (mmaction2#2714), so ``import mmaction.models`` fails. Register a
    placeholder ``DRN`` that raises a clear error if someone builds it."""
    spec = importlib.util.find_spec('mmaction')
    if spec is None or 'mmaction.models.localizers.drn' in sys.modules:
        return False
    import os
    pkg_dir = os.path.dirname(spec.origin)
    if os.path.isdir(os.path.join(pkg_dir, 'models', 'localizers', 'drn')):
        return False

    class DRN:  # noqa: D401 - placeholder
        """Placeholder: the mmaction2 1.2.0 wheel does not ship DRN."""

        def __init__(self, *args, **kwargs):
            raise NotImplementedError(
                'DRN is missing from the mmaction2 1.2.0 wheel '
                '(open-mmlab/mmaction2#2714); amd_mm installed a placeholder '
                'so that the rest of mmaction.models imports.')

    package = types.ModuleType('mmaction.models.localizers.drn')
    package.__path__ = []
    module = types.ModuleType('mmaction.models.localizers.drn.drn')
    module.DRN = DRN
    package.drn = module
    package.DRN = DRN
    sys.modules['mmaction.models.localizers.drn'] = package
    sys.modules['mmaction.models.localizers.drn.drn'] = module
    APPLIED.append('mmaction_drn_placeholder')
    return True


def mmengine_safe_globals():
    """torch >= 2.6 loads with ``weights_only=True`` by default and mmengine
    0.10.7 never passes ``weights_only``, so resuming an MMEngine checkpoint
    fails on ``HistoryBuffer``. Keep the safe loader and allow-list exactly
    the globals MMEngine checkpoints hold."""
    import torch
    if not hasattr(torch.serialization, 'add_safe_globals'):
        return False  # torch < 2.4: no weights_only default to work around
    import numpy as np
    from mmengine.logging.history_buffer import HistoryBuffer
    try:
        from numpy._core import multiarray
    except ImportError:  # numpy < 2
        from numpy.core import multiarray
    allowed = [HistoryBuffer, multiarray._reconstruct, multiarray.scalar,
               np.ndarray, np.dtype, getattr]
    allowed += [getattr(np.dtypes, name) for name in dir(np.dtypes)
                if name.endswith('DType')]
    if set(allowed) <= set(torch.serialization.get_safe_globals()):
        return False
    torch.serialization.add_safe_globals(allowed)
    APPLIED.append('mmengine_safe_globals')
    return True


#: what torchrun sets for each process; ``--launcher pytorch`` reads them
TORCHRUN_VARIABLES = ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT')


def mmengine_cpu_distributed():
    """``--launcher pytorch`` for every entry point (amd_mm's and other
    packages' train.py, ``Runner.from_cfg``), since MMEngine's launcher is
    where they all pass:

    * started without torchrun, mmengine 0.10.7 dies on ``KeyError: 'RANK'``
      (or torch's ``environment variable RANK expected``): name the
      variables and the command instead;
    * without CUDA, its launcher calls ``torch.cuda.set_device``
      (``torch._C has no attribute '_cuda_setDevice'``), the configs'
      ``backend='nccl'`` needs GPUs (``Distributed package doesn't have NCCL
      built in``) and its DDP wrapper passes ``device_ids=[LOCAL_RANK]``,
      which DDP rejects for CPU modules: skip the first, use gloo, pass
      ``device_ids=None``."""
    import torch
    from mmengine.dist import utils
    if getattr(utils._init_dist_pytorch, 'amd_mm_cpu', False):
        return False
    original = utils._init_dist_pytorch
    cpu = not torch.cuda.is_available()

    def _init_dist_pytorch(backend, init_backend='torch', **kwargs):
        unset = [name for name in TORCHRUN_VARIABLES if name not in os.environ]
        if unset:
            raise RuntimeError(
                f'launcher=pytorch (--launcher pytorch) but {", ".join(unset)} '
                'unset: these are set by torchrun for each process. Start with '
                '`torchrun --nproc_per_node N tools/train.py CONFIG --launcher pytorch` '
                '(or tools/dist_train.sh CONFIG N), or leave out --launcher for one process')
        if not cpu or init_backend != 'torch':
            return original(backend, init_backend=init_backend, **kwargs)
        if backend == 'nccl':
            backend = 'gloo'  # NCCL needs GPUs
        torch.distributed.init_process_group(backend=backend, **kwargs)

    _init_dist_pytorch.amd_mm_cpu = True
    utils._init_dist_pytorch = _init_dist_pytorch
    if cpu:
        from mmengine.model.wrappers.distributed import MMDistributedDataParallel
        ddp_init = MMDistributedDataParallel.__init__

        def __init__(self, module, detect_anomalous_params=False, **kwargs):
            kwargs['device_ids'] = None
            kwargs.pop('output_device', None)
            ddp_init(self, module, detect_anomalous_params=detect_anomalous_params, **kwargs)

        MMDistributedDataParallel.__init__ = __init__
    APPLIED.append('mmengine_cpu_distributed')
    return True


def multimodal_transformers5():
    """mmpretrain 1.2.0 and mmaction2 1.2.0 enable their multimodal models
    (BLIP, CLIP, VindLU, ...) whenever ``transformers>=4.28`` is installed, but
    those are written against transformers 4: with transformers 5,
    ``import mmpretrain.models`` raises ``TypeError: NoneType takes no
    arguments`` and ``import mmaction.models`` an ImportError on
    ``apply_chunking_to_forward``. amd_mm uses none of them, so with
    transformers >= 5 both register their placeholders instead."""
    from importlib import metadata
    try:
        major = int(metadata.version('transformers').split('.')[0])
    except (metadata.PackageNotFoundError, ValueError):
        return False
    if major < 5:
        return False
    changed = False
    for package in ('mmpretrain', 'mmaction'):
        if (f'{package}.models.multimodal' in sys.modules
                or importlib.util.find_spec(package) is None):
            continue
        dependency = importlib.import_module(f'{package}.utils.dependency')
        if dependency.WITH_MULTIMODAL:
            dependency.WITH_MULTIMODAL = False
            changed = True
    if changed:
        APPLIED.append('multimodal_transformers5')
    return changed


def mmengine_package_configs():
    """``_base_ = ['amd_mm::amd/...']`` (MMEngine's ``pkg::path`` configs).
    MMEngine resolves ``pkg::`` only for the packages in its
    ``MODULE2PACKAGE`` table (``AssertionError: mmengine does not support to
    load amd_mm config.``), and then reads ``<installed package>/.mim/``,
    which ``get_installed_path`` computes as ``<dist location>/amd_mm``: in an
    editable (PEP 660) install that folder does not exist and the lookup dies
    with FileNotFoundError. Three guarded changes, all limited to ``::``
    paths and ``read_base()`` imports: add ``amd_mm`` to the table; read
    amd_mm's own files from the copy this process imported (not another
    install's), and another package's, where the computed folder is missing,
    from the folder it is imported from; and give
    ``amd_mm::`` bases no ``_scope_`` (as a base given by path: an amd_mm
    config carries its own ``default_scope``, e.g. mmpretrain or mmdet, while
    MMEngine would stamp its dicts with ``_scope_='amd_mm'``, a scope with no
    registries). A ``pkg::`` base of a missing optional package (mmaction,
    mmdet, mmseg) names amd_mm's extra that installs it.

    Only a process that has imported amd_mm has the fix: amd_mm's tools,
    ``mim train/test amd_mm`` and ``python -m amd_mm.run`` (which runs another
    package's train.py) do; a config's ``custom_imports`` comes too late,
    because MMEngine resolves ``_base_`` before it imports anything."""
    try:
        from mmengine.config import config as config_module
        from mmengine.config import utils as config_utils
    except ImportError:
        return False
    changed = False
    if 'amd_mm' not in config_utils.MODULE2PACKAGE:  # PKG2PROJECT is the same dict
        config_utils.MODULE2PACKAGE['amd_mm'] = 'amd_mm'
        changed = True

    if not getattr(config_module.get_installed_path, 'amd_mm', False):
        original_path = config_module.get_installed_path

        def get_installed_path(package):
            if package == 'amd_mm':  # the copy this process runs (amd_mm.configs, .mim)
                return os.path.dirname(os.path.abspath(__file__))
            path = original_path(package)
            if os.path.isdir(path):
                return path
            spec = importlib.util.find_spec(package)
            if spec is not None and spec.origin is not None:
                return os.path.dirname(spec.origin)  # editable install
            return path

        get_installed_path.amd_mm = True
        config_module.get_installed_path = get_installed_path
        changed = True

    Config = config_module.Config
    if not getattr(Config._get_cfg_path, 'amd_mm', False):
        original_cfg_path = Config._get_cfg_path
        from .extras import EXTRAS, MissingExtraError, extra_message, missing

        def _get_cfg_path(cfg_path, filename):
            package = cfg_path.partition('::')[0] if '::' in cfg_path else None
            if package in EXTRAS and missing(package):
                raise MissingExtraError(extra_message(
                    package, needed_by=f"the base config '{cfg_path}' of {filename}"))
            path, scope = original_cfg_path(cfg_path, filename)
            return (path, None) if package == 'amd_mm' else (path, scope)

        _get_cfg_path.amd_mm = True
        Config._get_cfg_path = staticmethod(_get_cfg_path)
        changed = True
    if changed:
        APPLIED.append('mmengine_package_configs')
    return changed


def mmengine_keep_checkpoint_until_saved():
    """Crash safety: mmengine 0.10.7's CheckpointHook deletes the outdated
    checkpoint *before* writing the new one, so a run killed mid-write with
    ``max_keep_ckpts=1`` has no complete checkpoint and ``last_checkpoint``
    names a deleted file (``--resume auto``: FileNotFoundError). Defer those
    deletions until the new checkpoint and ``last_checkpoint`` are written."""
    try:
        from mmengine.hooks import CheckpointHook
    except ImportError:
        return False
    original = getattr(CheckpointHook, '_save_checkpoint_with_step', None)
    if original is None or getattr(original, 'amd_mm', False):
        return False

    def _save_checkpoint_with_step(self, runner, step, meta):
        backend = getattr(self, 'file_backend', None)
        if backend is None or self.max_keep_ckpts <= 0:
            return original(self, runner, step, meta)
        outdated = []
        backend.remove = outdated.append  # shadows the method during the save
        try:
            original(self, runner, step, meta)
        finally:
            del backend.remove
        for path in outdated:  # reached only once the new checkpoint is complete
            backend.remove(path)

    _save_checkpoint_with_step.amd_mm = True
    CheckpointHook._save_checkpoint_with_step = _save_checkpoint_with_step
    APPLIED.append('mmengine_keep_checkpoint_until_saved')
    return True


class _AtomicTextFile:
    """``open(path, 'w')`` whose text appears at ``path`` in one rename when
    the ``with`` block ends (a temporary file beside it before)."""

    def __init__(self, path):
        self.path = path
        self.temporary = f'{path}.tmp{os.getpid()}'
        self.file = open(self.temporary, 'w')

    def __enter__(self):
        return self.file

    def __exit__(self, error_type, *args):
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        if error_type is None:
            os.replace(self.temporary, self.path)
        else:
            os.remove(self.temporary)
        return False


def mmengine_atomic_last_checkpoint():
    """Crash safety: mmengine 0.10.7's CheckpointHook rewrites
    ``WORK_DIR/last_checkpoint`` (the name ``--resume auto`` reads) in place,
    so a run killed during that write leaves it empty or cut. Write it to a
    temporary file and rename it over the old one (``os.replace`` is atomic
    on POSIX and Windows), through the ``open`` the hook's module looks up."""
    try:
        from mmengine.hooks import checkpoint_hook
    except ImportError:
        return False
    if getattr(vars(checkpoint_hook).get('open'), 'amd_mm', False):
        return False

    def atomic_open(file, mode='r', *args, **kwargs):
        if mode == 'w' and os.path.basename(str(file)) == 'last_checkpoint':
            return _AtomicTextFile(file)
        return open(file, mode, *args, **kwargs)

    atomic_open.amd_mm = True
    checkpoint_hook.open = atomic_open
    APPLIED.append('mmengine_atomic_last_checkpoint')
    return True


def mmaction_ava_numpy2():
    """mmaction2 1.2.0's AVA evaluation returns ``np.NAN`` for a class
    detected but absent from the ground truth (``AVAMetric`` then takes the
    nanmean); numpy 2 removed that alias, so the metric died with an
    AttributeError. Restore the alias (``numpy.nan``, the same float)."""
    import numpy
    if importlib.util.find_spec('mmaction') is None or 'NAN' in vars(numpy):
        return False
    try:
        numpy.NAN
        return False
    except AttributeError:
        numpy.NAN = numpy.nan
    APPLIED.append('mmaction_ava_numpy2')
    return True


def apply_all():
    torchvision_ops_schema()
    mmaction_drn_placeholder()
    mmengine_safe_globals()
    mmengine_cpu_distributed()
    mmengine_package_configs()
    mmengine_keep_checkpoint_until_saved()
    mmengine_atomic_last_checkpoint()
    mmaction_ava_numpy2()
    multimodal_transformers5()
