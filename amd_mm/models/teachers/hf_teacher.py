"""Hugging Face transformers vision encoders as teachers, loaded from a local
``save_pretrained`` folder."""
import json
import os.path as osp
from operator import attrgetter
from typing import NamedTuple, Optional, Sequence, Tuple

import torch

from ...converters.checks import CheckpointMismatchError
from ...extras import require
from ...registry import MODELS
from ..backbones.masked_encoder import TokenGeometry
from .base import BaseTeacher


class Family(NamedTuple):
    """Where a transformers model keeps the parts a teacher runs.

    ``model_class``: the transformers class built from the folder;
    ``blocks``/``pre_norm``/``final_norm``: attribute paths in it (None when
    absent); ``num_cls``: CLS tokens it prepends; ``embed``: how its
    embedding module is called (see :meth:`HFTeacher._embed`);
    ``unused``: its modules a teacher never runs (their weights may be
    absent from the folder); ``other_parts``: key prefixes of the parts of
    a bigger model saved in the same folder (a decoder, the text tower, a
    classifier), left out of the teacher."""
    model_class: str
    blocks: str
    pre_norm: Optional[str]
    final_norm: Optional[str]
    num_cls: int
    embed: str
    unused: Tuple[str, ...] = ()
    other_parts: Tuple[str, ...] = ()
    load_kwargs: Tuple[Tuple[str, object], ...] = ()


_CLIP = Family('CLIPVisionModel', 'encoder.layers', 'pre_layrnorm', 'post_layernorm', 1,
               'interpolate', other_parts=('text_model.', 'text_projection.',
                                           'visual_projection.', 'logit_scale', 'logit_bias'))
_SIGLIP = Family('SiglipVisionModel', 'encoder.layers', None, 'post_layernorm', 0,
                 'interpolate', unused=('head.', ),
                 other_parts=('text_model.', 'logit_scale', 'logit_bias'))
#: config.json ``model_type`` -> family
FAMILIES = {
    'vit': Family('ViTModel', 'layers', None, 'layernorm', 1, 'interpolate',
                  other_parts=('classifier.', 'pooler.', 'decoder.'),
                  load_kwargs=(('add_pooling_layer', False), )),
    'vit_mae': Family('ViTMAEModel', 'layers', None, 'layernorm', 1, 'mae',
                      other_parts=('decoder.', )),
    'dinov2': Family('Dinov2Model', 'encoder.layer', None, 'layernorm', 1, 'always',
                     other_parts=('classifier.', )),
    'clip': _CLIP,
    'clip_vision_model': _CLIP,
    'siglip': _SIGLIP,
    'siglip_vision_model': _SIGLIP,
    'videomae': Family('VideoMAEModel', 'encoder.layer', None, 'layernorm', 0, 'video',
                       other_parts=('decoder.', 'encoder_to_decoder.', 'mask_token',
                                    'fc_norm.', 'classifier.')),
}


def _image_norm(folder: str):
    """(mean, std) in [0, 255] from the folder's image/video processor file,
    or None without one."""
    for name in ('preprocessor_config.json', 'video_preprocessor_config.json'):
        path = osp.join(folder, name)
        if osp.isfile(path):
            with open(path, encoding='utf-8') as f:
                cfg = json.load(f)
            factor = cfg.get('rescale_factor', 1 / 255) if cfg.get('do_rescale', True) else 1.
            if not cfg.get('do_normalize', True):
                return (0., ) * 3, (1 / factor, ) * 3
            return (tuple(m / factor for m in cfg['image_mean']),
                    tuple(s / factor for s in cfg['image_std']))
    return None


@MODELS.register_module()
class HFTeacher(BaseTeacher):
    """A Hugging Face transformers vision encoder as the teacher
    (:class:`BaseTeacher`): ViT, ViTMAE, DINOv2, CLIP and SigLIP image
    towers, and VideoMAE for video students.

    The model is transformers' own, built by ``from_pretrained(folder,
    local_files_only=True)`` from a ``save_pretrained`` folder (``config.json``
    + weights); its family is read from ``config.json``. Loading is strict: a
    missing or wrongly sized tensor raises naming the keys, and so does an
    unexpected one, except the other parts of a bigger model saved in the
    same folder (a CLIP text tower, an MAE decoder, a classifier), which are
    left out and logged. Nothing is downloaded.

    On a token subset it runs the model's own embedding module (patches,
    position, CLS), keeps the teacher-visible patch tokens, then its own
    pre-norm (CLIP) and encoder layers. When the student's grid differs from
    the model's, the library interpolates its position table
    (``interpolate_pos_encoding``; VideoMAE's fixed sinusoid table is
    rebuilt by its own function). Its normalisation comes from the folder's
    ``preprocessor_config.json`` unless ``mean``/``std`` are given.

    Needs the ``teachers`` extra: ``pip install "amd-mm[teachers]"``.

    Args:
        checkpoint (str): the ``save_pretrained`` folder.
        feature_blocks (Sequence[int]): blocks to return, numbered from 1
            (0 = the embedded input, ``hidden_states[0]``; block k is
            ``hidden_states[k]``).
        **kwargs: ``token_subset``, ``final_norm``, ``mean``, ``std`` of
            :class:`BaseTeacher`.
    """

    def __init__(self, checkpoint: str, feature_blocks: Sequence[int], init_cfg=None, **kwargs):
        super().__init__(feature_blocks, init_cfg=init_cfg, **kwargs)
        require('transformers', needed_by='model.teacher (HFTeacher)')
        import transformers
        if not osp.isfile(osp.join(str(checkpoint), 'config.json')):
            raise FileNotFoundError(
                f'teacher.checkpoint={checkpoint!r} is not a transformers save_pretrained '
                'folder: give the local folder holding config.json and the weights '
                '(model.safetensors or pytorch_model.bin); nothing is downloaded')
        self.checkpoint = checkpoint
        config = transformers.AutoConfig.from_pretrained(checkpoint, local_files_only=True)
        if config.model_type not in FAMILIES:
            raise ValueError(
                f'teacher.checkpoint={checkpoint!r} holds a {config.model_type!r} model; '
                f'HFTeacher takes {sorted(FAMILIES)}')
        self.family = FAMILIES[config.model_type]
        self.model_type = config.model_type
        self.grid_rank = 3 if self.family.embed == 'video' else 2
        model_class = getattr(transformers, self.family.model_class)
        try:
            # mismatched sizes are reported (with their keys) and refused below;
            # float32 whatever the file holds (autocast sets the compute precision)
            model, info = model_class.from_pretrained(
                checkpoint, local_files_only=True, output_loading_info=True,
                ignore_mismatched_sizes=True, dtype=torch.float32,
                **dict(self.family.load_kwargs))
        except OSError as error:
            raise FileNotFoundError(
                f'teacher.checkpoint={checkpoint!r}: {error} (give the local save_pretrained '
                'folder with its weights file)') from error
        self._check_loading(info)
        if self.family.embed == 'mae':  # its embedding shuffles and drops tokens:
            model.config.mask_ratio = 0.  # keep all, in order (noise = position)
        self.backbone = model
        self._interpolate = False
        if self.final_norm and getattr(model, self.family.final_norm, None) is None:
            raise ValueError(f'teacher.final_norm=True but {self.describe()} has no final norm '
                             '(a VideoMAE with use_mean_pooling keeps it in fc_norm)')
        self._setup()

    def _check_loading(self, info: dict) -> None:
        target = f'teacher.checkpoint={self.checkpoint!r} for {self.family.model_class}'
        missing = [k for k in info.get('missing_keys', ())
                   if not k.startswith(self.family.unused)]
        unexpected = [k for k in info.get('unexpected_keys', ())
                      if not k.startswith(self.family.other_parts)]
        mismatched = [f'{k}: checkpoint {tuple(a)} vs model {tuple(b)}'
                      for k, a, b in sorted(info.get('mismatched_keys', ()))]
        problems = [f'{name} ({len(keys)}): {keys}' for name, keys in (
            ('missing keys', missing), ('unexpected keys', unexpected),
            ('shape mismatches', mismatched)) if keys]
        if problems:
            raise CheckpointMismatchError(f'{target} does not fit: ' + '; '.join(problems))

    def describe(self) -> str:
        return f'transformers {self.family.model_class} ({self.checkpoint})'

    @property
    def embed_dims(self) -> int:
        return int(self.backbone.config.hidden_size)

    @property
    def num_prefix_tokens(self) -> int:
        return self.family.num_cls

    @property
    def num_cls_tokens(self) -> int:
        return self.family.num_cls

    @property
    def geometry(self) -> TokenGeometry:
        config = self.backbone.config
        size = config.image_size
        size = tuple(size) if isinstance(size, (tuple, list)) else (size, size)
        patch = config.patch_size
        patch = patch[0] if isinstance(patch, (tuple, list)) else patch
        grid = tuple(s // patch for s in size)
        if self.grid_rank == 3:
            tube = int(config.tubelet_size)
            return TokenGeometry((config.num_frames // tube, ) + grid, int(patch), tube,
                                 (config.num_frames, ) + size, 0, int(config.num_channels))
        return TokenGeometry(grid, int(patch), 1, size, self.num_prefix_tokens,
                             int(config.num_channels))

    def default_norm(self):
        norm = _image_norm(self.checkpoint)
        if norm is None:
            raise FileNotFoundError(
                f'teacher.checkpoint={self.checkpoint!r} has no preprocessor_config.json '
                '(the image processor\'s save_pretrained): save it beside the model, or set '
                'teacher.mean and teacher.std (in [0, 255]) to the normalisation the model '
                'was trained with')
        return norm

    def _set_grid(self, grid) -> None:
        own = self.geometry
        if tuple(grid) == tuple(own.grid):
            return
        if self.family.embed == 'video':
            from transformers.models.videomae.modeling_videomae import \
                get_sinusoid_encoding_table
            embeddings = self.backbone.embeddings
            size = tuple(g * own.patch_size for g in grid[1:])
            embeddings.patch_embeddings.image_size = size
            embeddings.position_embeddings = get_sinusoid_encoding_table(
                int(torch.tensor(grid).prod()), self.embed_dims)
            return
        self._interpolate = True

    @property
    def _blocks(self):
        return attrgetter(self.family.blocks)(self.backbone)

    def _embed(self, inputs: torch.Tensor) -> torch.Tensor:
        embeddings, kind = self.backbone.embeddings, self.family.embed
        if kind == 'video':  # transformers takes (B, T, C, H, W)
            return embeddings(inputs.transpose(1, 2), None)
        if kind == 'always':  # DINOv2 interpolates whenever the size differs
            return embeddings(inputs)
        if kind == 'mae':
            B = inputs.shape[0]
            N = embeddings.patch_embeddings.num_patches if not self._interpolate else (
                (inputs.shape[-2] // self.geometry.patch_size)
                * (inputs.shape[-1] // self.geometry.patch_size))
            order = torch.arange(N, device=inputs.device, dtype=torch.float32).expand(B, -1)
            return embeddings(inputs, noise=order,
                              interpolate_pos_encoding=self._interpolate)[0]
        return embeddings(inputs, interpolate_pos_encoding=self._interpolate)

    def _pre_blocks(self, tokens: torch.Tensor) -> torch.Tensor:
        if self.family.pre_norm is None:
            return tokens
        return attrgetter(self.family.pre_norm)(self.backbone)(tokens)

    def _run_block(self, block, tokens: torch.Tensor) -> torch.Tensor:
        out = block(tokens, None) if self.family.model_class in (
            'CLIPVisionModel', 'SiglipVisionModel') else block(tokens)
        return out[0] if isinstance(out, tuple) else out

    def _final_norm(self, tokens: torch.Tensor) -> torch.Tensor:
        return getattr(self.backbone, self.family.final_norm)(tokens)
