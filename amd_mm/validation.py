"""Start-up checks of a training config that no single part can make alone
(the dataset's masks against the model, a loader that can produce a batch,
the checkpoint to load or resume).

The token geometry is defined once, by the student backbone
(:attr:`MaskedDistiller.geometry`); the model checks its own parts against it
when it is built and every batch before the loss. :func:`check_run_config`
checks the config's dataset against it and :class:`StartupCheckHook` the
built loader before the first iteration. The hook is a default hook of
``configs/_base_/default_runtime.py``, so every entry point runs these checks
(``tools/train.py``, ``mim train amd_mm``, ``python -m amd_mm.run PKG:train``,
``torchrun``, ``Runner.from_cfg``). Every message names the field and the value.
"""
import copy
import numbers
import os.path as osp
from typing import Iterator, Optional, Tuple

from mmengine.hooks import Hook
from mmengine.logging import MMLogger

from .datasets.transforms.asymmetric_masking import check_ratios, masking_of
from .registry import HOOKS

_IMAGE_DEFAULTS = dict(img_size=224, patch_size=16)
_VIDEO_DEFAULTS = dict(img_size=224, patch_size=16, num_frames=16, tubelet_size=2)


def _pair(value) -> Tuple[int, int]:
    if isinstance(value, numbers.Integral):
        return int(value), int(value)
    return tuple(int(v) for v in value)


def backbone_grid(backbone: dict) -> Optional[Tuple[int, ...]]:
    """The token grid of a ``MaskedViT``/``MaskedVideoViT`` config, without
    building it (None for another type)."""
    kind = str(backbone.get('type', '')).split('.')[-1]
    if kind == 'MaskedViT':
        h, w = _pair(backbone.get('img_size', _IMAGE_DEFAULTS['img_size']))
        p = int(backbone.get('patch_size', _IMAGE_DEFAULTS['patch_size']))
        return h // p, w // p
    if kind == 'MaskedVideoViT':
        get = lambda key: backbone.get(key, _VIDEO_DEFAULTS[key])  # noqa: E731
        size, p = int(get('img_size')), int(get('patch_size'))
        return int(get('num_frames')) // int(get('tubelet_size')), size // p, size // p
    return None


def iter_dicts(node) -> Iterator[dict]:
    """Every dict inside nested dicts/lists (config pipelines)."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from iter_dicts(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from iter_dicts(value)


def _train_dataset(cfg) -> Optional[dict]:
    loader = cfg.get('train_dataloader')
    if not loader:
        return None
    dataset = loader.get('dataset')
    while isinstance(dataset, dict) and 'masking' not in dataset and isinstance(
            dataset.get('dataset'), dict):
        dataset = dataset['dataset']
    return dataset


def check_run_config(cfg) -> None:
    """Cross-check a pre-training config's masks and pipeline against its
    model, before anything is built.

    Raises:
        ValueError / TypeError: naming both fields and both values.
    """
    check_run_length(cfg)
    model = cfg.get('model') or {}
    if not isinstance(model, dict) or not isinstance(model.get('neck'), dict):
        return  # not a MaskedDistiller config
    kind = str(model.get('type', '')).split('.')[-1]
    if kind not in ('MaskedDistiller', 'AMD', 'DMAE', 'dBOT'):
        return
    dataset = _train_dataset(cfg)
    masking = masking_of(cfg) if dataset is not None else None
    logger = MMLogger.get_current_instance()
    field = 'train_dataloader.dataset.masking'
    neck = model['neck']
    has_generator = bool(neck.get('generator'))
    if masking is not None:
        masking = copy.deepcopy(masking)
        grid = backbone_grid(model.get('backbone') or {})
        size = masking.get('input_size')
        if grid is not None and size is not None:
            size = tuple(int(s) for s in (_pair(size) if isinstance(size, numbers.Integral)
                                          else size))
            if size != grid and not (len(size) == 3 and size[0] == 1 and size[1:] == grid):
                backbone = model['backbone']
                raise ValueError(
                    f'{field}.input_size={size} does not match the student backbone\'s '
                    f'token grid {grid} (model.backbone img_size='
                    f'{backbone.get("img_size", 224)}, patch_size='
                    f'{backbone.get("patch_size", 16)}'
                    + (f', num_frames={backbone.get("num_frames", 16)}, tubelet_size='
                       f'{backbone.get("tubelet_size", 2)}' if len(grid) == 3 else '')
                    + f'): set {field}.input_size={grid}')
        student = masking.get('student_mask_ratio', 0.75)
        teacher = masking.get('teacher_mask_ratio', 0.5)
        check_ratios(student, teacher, 10 ** 6, owner=field)
        if has_generator and teacher == student:
            raise ValueError(
                f'{field}.teacher_mask_ratio={teacher} equals student_mask_ratio={student}, '
                'so there are no diff tokens, but model.neck.generator is set (loss_gen '
                'would be silently dropped): set model.neck.generator=None and '
                'model.head.gen_loss=None for symmetric masking, or lower '
                f'{field}.teacher_mask_ratio')
        if kind == 'DMAE' and teacher != student:
            raise ValueError(
                f'DMAE uses symmetric masks but {field}.teacher_mask_ratio={teacher} '
                f'differs from student_mask_ratio={student}: set both to the same value')
        if (model.get('teacher') and not has_generator and teacher < student):
            logger.warning(
                f'{field}.teacher_mask_ratio={teacher} < student_mask_ratio={student} but '
                'the model has no generator (model.neck.generator=None): the teacher '
                'encodes diff tokens that no loss term uses')
    if has_generator and dataset is not None:
        packs = [t for t in iter_dicts(dataset.get('pipeline', []))
                 if str(t.get('type', '')).split('.')[-1] == 'PackInputs']
        for pack in packs:
            if 'diff_mask' not in (pack.get('algorithm_keys') or ()):
                raise ValueError(
                    "model.neck.generator is set but the training pipeline's PackInputs "
                    f"has algorithm_keys={list(pack.get('algorithm_keys') or [])} without "
                    "'diff_mask' (AMD would silently become symmetric): use "
                    "dict(type='PackInputs', algorithm_keys=['diff_mask'])")


def check_run_length(cfg) -> None:
    """``train_cfg.max_iters`` / ``max_epochs`` a positive int."""
    train_cfg = cfg.get('train_cfg') or {}
    for key in ('max_iters', 'max_epochs'):
        value = train_cfg.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(
                value, numbers.Integral) or value < 1):
            raise ValueError(f'train_cfg.{key}={value!r}: expected an int >= 1')


def check_checkpoint_path(path, option: str) -> None:
    """A checkpoint to load or resume from: an existing file (a URL is left
    to MMEngine), or an error naming the option and saying what is wrong."""
    if not path or '://' in str(path):
        return
    if osp.isdir(path):
        raise IsADirectoryError(
            f'{option}={path!r} is a folder: give the checkpoint file inside it (e.g. '
            f'{osp.join(path, "iter_1000.pth")}), or resume the latest checkpoint of a '
            'work_dir with --resume and no value')
    if not osp.isfile(path):
        raise FileNotFoundError(f'{option}={path!r} does not exist')


@HOOKS.register_module()
class StartupCheckHook(Hook):
    """The checks of a run that need the whole config or the built runner:

    * before the run: :func:`check_run_config` (the masks and pipeline
      against the model, the run's length); the checkpoint to load or
      resume exists, is a file and fits the model (:func:`check_resume`);
    * before the first iteration: fail in seconds, not hang, when the
      training loader cannot produce a batch (an empty dataset, a
      ``batch_size`` larger than the dataset with ``drop_last``).

    A default hook of ``configs/_base_/default_runtime.py``
    (``default_hooks.startup_check``), so every entry point runs it.
    """
    priority = 'VERY_HIGH'

    def before_run(self, runner) -> None:
        cfg = runner.cfg
        check_run_config(cfg)
        load_from = cfg.get('load_from')
        check_checkpoint_path(load_from, '--resume' if cfg.get('resume') else 'load_from')
        if cfg.get('resume'):
            from mmengine.runner import find_latest_checkpoint
            path = load_from or find_latest_checkpoint(runner.work_dir)
            if path and '://' not in path:
                check_resume(runner.model, path, '--resume')

    def before_train(self, runner) -> None:
        loader = runner.train_dataloader
        dataset = getattr(loader, 'dataset', None)
        try:
            size = len(dataset)
        except TypeError:
            return
        name = type(dataset).__name__
        if size == 0:
            raise ValueError(f'train_dataloader.dataset ({name}) has 0 samples: check its '
                             'data_root / ann_file / num_samples')
        try:
            batches = len(loader)
        except TypeError:
            return
        if batches == 0:
            raise ValueError(
                f'train_dataloader cannot produce a batch: batch_size='
                f'{getattr(loader, "batch_size", None)} with drop_last for a {name} of '
                f'{size} samples: lower train_dataloader.batch_size')


def check_resume(model, path: str, option: str = '--resume') -> None:
    """Refuse, naming the file and the option, a checkpoint to resume from
    whose model weights do not fit ``model`` (another config's checkpoint),
    instead of MMEngine's non-strict load followed by an optimizer error."""
    from .converters import CheckpointMismatchError, load_checkpoint
    checkpoint = load_checkpoint(path)
    state = checkpoint.get('state_dict', checkpoint)
    if hasattr(model, 'module'):
        model = model.module
    own = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    theirs = {k: tuple(getattr(v, 'shape', ())) for k, v in state.items()}
    missing = sorted(set(own) - set(theirs))
    unexpected = sorted(set(theirs) - set(own))
    shapes = sorted(k for k in set(own) & set(theirs) if own[k] != theirs[k])
    if missing or unexpected or shapes:
        def few(keys):
            return f'{keys[:5]}{" ..." if len(keys) > 5 else ""} ({len(keys)})'
        raise CheckpointMismatchError(
            f'{option} {path!r} was written by another model: missing keys {few(missing)}, '
            f'unexpected keys {few(unexpected)}, wrong shapes {few(shapes)}; resume with '
            'the config that wrote it, or start a new work_dir')
