"""The token geometry is stated once, by the student backbone: the neck and
head configs take grid, patch, tubelet, prefix count and widths from it."""
import copy
from typing import Optional, Tuple

import torch.nn as nn


def _same(given, value) -> bool:
    if isinstance(value, tuple):
        return isinstance(given, (tuple, list)) and tuple(int(g) for g in given) == value
    return given == value


def fill(cfg: dict, field: str, key: str, value, source: str) -> None:
    """Set ``cfg[key] = value`` when the config leaves it out (or None);
    when it states another value raise, naming ``field.key``, both values and
    where ``value`` comes from."""
    given = cfg.get(key)
    if given is None:
        cfg[key] = value
    elif not _same(given, value):
        given = tuple(given) if isinstance(given, list) else given
        raise ValueError(f'{field}.{key}={given!r} does not match {source}: leave '
                         f'{field}.{key} out (it is taken from there) or set it to {value!r}')


def derive_from_student(neck: dict, head: dict, backbone: nn.Module,
                        teacher: Optional[nn.Module]) -> Tuple[dict, dict]:
    """The neck and head configs completed from the built student backbone
    (and teacher): ``neck.num_layer_pairs`` (= len(backbone.feature_blocks)),
    ``student_dims``, ``teacher_dims``, ``grid``, ``num_prefix``, the pixel
    decoder's ``out_dims`` (values per token) and a latent-fed generator's
    ``out_dims`` (the teacher's width); ``head.patch_size`` and
    ``tubelet_size``. A config that states one of them consistently keeps
    working; an inconsistent one raises naming the field."""
    neck, head = copy.deepcopy(dict(neck)), copy.deepcopy(dict(head))
    geo = backbone.geometry
    if neck.get('num_layer_pairs') is None and neck.get('num_layers') is None:
        neck['num_layer_pairs'] = len(backbone.feature_blocks)
    fill(neck, 'neck', 'student_dims', int(backbone.embed_dims),
         f'the student backbone\'s width {backbone.embed_dims} (backbone embed_dims)')
    fill(neck, 'neck', 'grid', tuple(geo.grid), f'the student backbone\'s {geo.describe()}')
    fill(neck, 'neck', 'num_prefix', geo.num_prefix,
         f'the student backbone\'s {geo.num_prefix} prefix (CLS) token(s)')
    if teacher is None and (neck.get('num_layer_pairs') or neck.get('num_layers')
                            or neck.get('generator')):
        raise ValueError('the neck aligns features (backbone.feature_blocks / '
                         'neck.generator) but the model has no `teacher`')
    if teacher is not None:
        fill(neck, 'neck', 'teacher_dims', int(teacher.embed_dims),
             f'the width {teacher.embed_dims} of {teacher.describe()}')
        generator = neck.get('generator')
        if generator and neck.get('generator_input') == 'latent':
            neck['generator'] = generator = dict(generator)
            fill(generator, 'neck.generator', 'out_dims', int(teacher.embed_dims),
                 f'the width {teacher.embed_dims} of {teacher.describe()}, which it predicts')
    if neck.get('decoder'):
        neck['decoder'] = decoder = dict(neck['decoder'])
        fill(decoder, 'neck.decoder', 'out_dims', geo.values_per_token,
             f'the {geo.values_per_token} pixel values a token of the student backbone holds '
             f'(tubelet {geo.tubelet_size} x patch {geo.patch_size}x{geo.patch_size} x '
             f'{geo.in_channels} channel(s))')
    fill(head, 'head', 'patch_size', geo.patch_size,
         f'the student\'s backbone.patch_size={geo.patch_size}')
    fill(head, 'head', 'tubelet_size', geo.tubelet_size,
         f'the student backbone\'s tubelet_size={geo.tubelet_size}')
    return neck, head
