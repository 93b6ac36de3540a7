"""Frozen-feature probes of a video encoder on Moving Fashion-MNIST: the
direction of motion (needs temporal order) and the item class.

A fine-tune on direction swings between seeds (random init: 14% to 58%);
a frozen encoder, fixed clips and a deterministic probe leave only the
encoder's own seed. Features keep time order: the final tokens averaged over
space within each time slot and concatenated slot by slot, because a mean
over all tokens would erase the direction of motion.
"""
import functools
import os.path as osp
from typing import Dict, Sequence, Tuple

import numpy as np
import torch

from .knn import knn_accuracy
from .linear_probe import linear_probe, select_weight_decay

TASKS = ('direction', 'class')


@functools.lru_cache(maxsize=4)
def load_clips(data_root: str, split: str, clip_len: int = 8,
               frame_interval: int = 2) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
    """uint8 clips (N, 3, T, H, W) of a split, frames ``0, interval, ...``
    (pre-training's SampleFrames without its random start), and the labels
    of both tasks ``{task: (N,)}``; the two lists name the same videos."""
    import decord
    lists = {}
    for task in TASKS:
        with open(osp.join(data_root, f'{split}_{task}.txt')) as f:
            lists[task] = [line.split() for line in f if line.strip()]
    names = [name for name, _ in lists['direction']]
    if names != [name for name, _ in lists['class']]:
        raise ValueError(f'{data_root}: {split}_direction.txt and {split}_class.txt list '
                         'different videos')
    frames = list(range(0, clip_len * frame_interval, frame_interval))
    clips = []
    for name in names:
        reader = decord.VideoReader(osp.join(data_root, 'videos', name))
        clips.append(torch.from_numpy(reader.get_batch(frames).asnumpy()).permute(3, 0, 1, 2))
    labels = {task: torch.tensor([int(label) for _, label in rows]) for task, rows in
              lists.items()}
    return torch.stack(clips), labels


@torch.no_grad()
def video_features(backbone: torch.nn.Module, clips: torch.Tensor, mean: Sequence[float],
                   std: Sequence[float], batch_size: int = 64) -> torch.Tensor:
    """(N, T' * C) features of a frozen ``MaskedVideoViT``: its final tokens
    (t-major raster, as the masks and position table) averaged per time slot."""
    backbone.eval()
    mean_t = torch.as_tensor(mean, dtype=torch.float32).view(1, -1, 1, 1, 1)
    std_t = torch.as_tensor(std, dtype=torch.float32).view(1, -1, 1, 1, 1)
    slots = backbone.geometry.grid[0]
    chunks = []
    for start in range(0, len(clips), batch_size):
        x = (clips[start:start + batch_size].float() - mean_t) / std_t
        tokens = backbone.forward_tokens(x).latent  # (B, T'*h*w, C)
        chunks.append(tokens.unflatten(1, (slots, -1)).mean(2).flatten(1))
    return torch.cat(chunks)


def probe_video_encoder(backbone: torch.nn.Module, mean: Sequence[float], std: Sequence[float],
                        data_root: str, splits: Sequence[str] = ('val', )) -> Dict[str, float]:
    """Linear probe (its penalty chosen on val) and k-NN for each task, on
    val (``{task}_probe_val``, ``{task}_knn_val``) and on test when asked
    (``{task}_probe``, ``{task}_knn``); train features from the train split."""
    features, labels = {}, {}
    for split in ('train', 'val') + tuple(s for s in splits if s not in ('train', 'val')):
        clips, labels[split] = load_clips(data_root, split)
        features[split] = video_features(backbone, clips, mean, std)
    out = {}
    for task in TASKS:
        train_x, train_y = features['train'], labels['train'][task]
        weight_decay, val_probe = select_weight_decay(train_x, train_y, features['val'],
                                                      labels['val'][task])
        out[f'{task}_probe_weight_decay'] = weight_decay
        for split in splits:
            x, y = features[split], labels[split][task]
            suffix = '_val' if split == 'val' else ''
            out[f'{task}_probe{suffix}'] = (val_probe if split == 'val' else
                                            linear_probe(train_x, train_y, x, y, weight_decay))
            out[f'{task}_knn{suffix}'] = knn_accuracy(train_x, train_y, x, y)
    return out


def build_video_backbone(kind: str, ckpt, seed: int, config: str, options: dict = None):
    """The student (``kind='student'``) or teacher backbone of a video
    pre-training ``config`` (with ``options`` merged), initialised under
    ``seed`` and loaded strictly from ``ckpt`` when one is given (a Runner
    checkpoint's ``backbone.*`` or a teacher file)."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmaction.registry import MODELS
    from amd_mm.converters import load_vit_checkpoint
    from amd_mm.paths import CHECKOUT
    cfg = Config.fromfile(config if osp.isabs(config) else osp.join(CHECKOUT, config))
    cfg.merge_from_dict(options or {})
    backbone_cfg = dict(cfg.model.teacher.backbone if kind == 'teacher' else cfg.model.backbone)
    backbone_cfg.pop('feature_blocks', None)
    torch.manual_seed(seed)
    np.random.seed(seed)
    with DefaultScope.overwrite_default_scope('mmaction'):
        backbone = MODELS.build(backbone_cfg)
    backbone.init_weights()
    if ckpt is not None:
        load_vit_checkpoint(backbone, ckpt)
    return backbone
