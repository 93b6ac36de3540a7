"""Config specs of the benchmark: ``PATH[::key=value ...][::mae][::with_cp]``
read into an MMEngine config ready to build (teacher weights never loaded)."""
import copy
import os.path as osp
from typing import Optional

from ..paths import CHECKOUT as ROOT
from ..validation import iter_dicts
VARIANTS = ('mae', 'with_cp')
#: ``--amp`` choices -> ``AmpOptimWrapper.dtype``
AMP_DTYPES = dict(bf16='bfloat16', fp16='float16')


def parse_spec(text: str):
    """``PATH[::key=value][::variant]`` -> (path, options, variants)."""
    from mmengine.config import DictAction
    path, *parts = text.split('::')
    options, variants = {}, []
    for part in parts:
        if '=' in part:
            key, value = part.split('=', 1)
            options[key] = DictAction._parse_iterable(value)
        elif part in VARIANTS:
            variants.append(part)
        else:
            raise ValueError(f'config spec {text!r}: {part!r} is neither '
                             f'key=value nor one of {VARIANTS}')
    return path, options, variants


def spec_label(spec: str) -> str:
    """A row name: the config's file name and its spec extras."""
    path, options, variants = parse_spec(spec)
    name = osp.splitext(osp.basename(path))[0]
    extras = [f'{k.split(".")[-1]}={v}' for k, v in options.items()] + variants
    return name + (f' [{", ".join(extras)}]' if extras else '')


def resolve_path(path: str) -> str:
    """A path as given, else relative to the repository root."""
    if osp.exists(path) or osp.isabs(path):
        return path
    return osp.join(ROOT, path)


def find_transform(cfg, name: str) -> Optional[dict]:
    """The config dict (in place) of the first transform named ``name``
    (any scope prefix) in the train pipeline, nested ones included."""
    for node in iter_dicts(cfg.get('train_dataloader', {})):
        kind = node.get('type')
        if isinstance(kind, str) and kind.split('.')[-1] == name:
            return node
    return None


def find_masking(cfg) -> Optional[dict]:
    """The mask transform's config dict (in place) in the train dataloader:
    the dataset's ``masking`` field, or a pipeline step."""
    return find_transform(cfg, 'AsymmetricMasking')


def find_views(cfg) -> int:
    """Views per sample of a ``RepeatedViews`` transform in the train
    pipeline (1 without one)."""
    node = find_transform(cfg, 'RepeatedViews')
    return 1 if node is None else int(node.get('num_views', 1))


def to_plain_mae(cfg):
    """amd_mm's MAE at the same student: the config without its teacher (no
    projections, generators, feature losses) and with symmetric masks."""
    from mmpretrain.registry import MODELS
    model = cfg.model
    cls = MODELS.get(model.get('type', ''))
    from amd_mm.models import MaskedDistiller
    if cls is None or not issubclass(cls, MaskedDistiller):
        raise ValueError('the `mae` variant needs a MaskedDistiller config, '
                         f"got model.type={model.get('type')!r}")
    model.teacher = None
    model.backbone.feature_blocks = ()
    for key in ('num_layer_pairs', 'num_layers'):  # aligned layer pairs
        if key in model.neck:
            model.neck[key] = 0
    model.neck.generator = None
    model.head.direct_loss = None
    model.head.gen_loss = None
    masking = find_masking(cfg)
    if masking is not None:
        masking['teacher_mask_ratio'] = masking.get('student_mask_ratio', 0.75)


def set_with_cp(cfg):
    """Activation checkpointing in the student and the teacher backbone
    (amd_mm's ViTs; mmpretrain's MAEViT has no such switch)."""
    from mmpretrain.registry import MODELS
    from amd_mm.models.backbones.masked_encoder import MaskedEncoderMixin
    for backbone in (cfg.model.get('backbone'),
                     (cfg.model.get('teacher') or {}).get('backbone')):
        if backbone is None:
            continue
        cls = MODELS.get(backbone['type'])
        if cls is None or not issubclass(cls, MaskedEncoderMixin):
            raise ValueError(f"with_cp: backbone type {backbone['type']!r} "
                             'is not an amd_mm masked ViT')
        backbone['with_cp'] = True


def load_config(spec: str, cfg_options: Optional[dict] = None,
                with_cp: bool = False, amp: Optional[str] = None, device: str = 'cpu',
                views: Optional[int] = None):
    """The config of one spec, with overrides for every config
    (``cfg_options``), the spec's own ones, its variants, activation
    checkpointing and autocast applied; ``views`` sets the views per video
    of a ``RepeatedViews`` transform. ``amp``: ``'bf16'`` (no loss scaling:
    bf16 has fp32's range, and a dynamic scaler's overflow check waits for
    the device every step) or ``'fp16'`` (dynamic loss scaling, as the
    official engines); the spec's own keys come after it, e.g.
    ``::optim_wrapper.loss_scale=dynamic``. On a non-CUDA device an
    ``AmpOptimWrapper`` becomes a plain one (``cfg.amp_dropped``)."""
    from mmengine.config import Config

    import amd_mm  # noqa: F401  (registers the modules)
    path, options, variants = parse_spec(spec)
    cfg = Config.fromfile(resolve_path(path))
    if amp:
        if amp not in AMP_DTYPES:
            raise ValueError(f'amp={amp!r}: expected one of {sorted(AMP_DTYPES)}')
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.dtype = AMP_DTYPES[amp]
        cfg.optim_wrapper.loss_scale = 'dynamic' if amp == 'fp16' else dict(enabled=False)
    if cfg_options:
        cfg.merge_from_dict(copy.deepcopy(cfg_options))
    if options:
        cfg.merge_from_dict(options)
    if cfg.get('data_preprocessor') is not None:
        cfg.model.setdefault('data_preprocessor', cfg.data_preprocessor)
    if views is not None:
        node = find_transform(cfg, 'RepeatedViews')
        if node is None:
            raise ValueError(f'views={views}: {path} has no RepeatedViews transform')
        node['num_views'] = int(views)
    if 'mae' in variants:
        to_plain_mae(cfg)
    if cfg.model.get('teacher'):
        cfg.model.teacher.checkpoint = None
    if with_cp or 'with_cp' in variants:
        set_with_cp(cfg)
    if (not amp and cfg.optim_wrapper.get('type') == 'AmpOptimWrapper'
          and not str(device).startswith('cuda')):
        # mmengine's AmpOptimWrapper refuses to run on CPU: time fp32 there
        cfg.optim_wrapper.type = 'OptimWrapper'
        for key in ('loss_scale', 'dtype', 'use_fsdp'):
            cfg.optim_wrapper.pop(key, None)
        cfg.amp_dropped = True
    return cfg
