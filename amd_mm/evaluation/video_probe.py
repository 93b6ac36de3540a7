"""Frozen-feature evaluation of a video encoder on Moving Fashion-MNIST: a
linear probe and k-NN on features that keep the order of time.

Why: the MMAction2 fine-tune on ``direction`` swings between seeds, so the
video demo needs a deterministic measure. A global token mean would erase
the direction of motion (a clip played backwards has the same mean), so the
feature is the final tokens averaged over space within each time slot,
concatenated over slots in the backbone's (t-major) token order.
"""
import os
import os.path as osp
from functools import lru_cache
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
import torch

from .encoder import build_encoder
from .knn import knn_accuracy
from .linear_probe import WEIGHT_DECAYS, linear_probe, select_weight_decay

TASKS = ('direction', 'class')
# pre-training's SampleFrames(clip_len=8, frame_interval=2), started at frame 0
CLIP_LEN, FRAME_INTERVAL = 8, 2
VIDEO_CONFIG = 'configs/amd/amd_vit-nano-p16_moving-fashion-mnist.py'


def read_list(data_root: str, split: str, task: str, count: Optional[int] = None):
    """``(names, labels)`` of ``{split}_{task}.txt`` (lines ``name label``)."""
    with open(osp.join(data_root, f'{split}_{task}.txt')) as f:
        rows = [line.split() for line in f if line.strip()]
    rows = rows[:count] if count is not None else rows
    return tuple(r[0] for r in rows), torch.tensor([int(r[1]) for r in rows], dtype=torch.long)


@lru_cache(maxsize=4)
def _decode(video_root: str, names: Tuple[str, ...], stamp: int) -> torch.Tensor:
    """(N, 3, T, H, W) uint8 clips, decoded once per process (``stamp``: the
    manifest's or video folder's mtime, so a regenerated set is decoded again)."""
    import decord
    index = list(range(0, CLIP_LEN * FRAME_INTERVAL, FRAME_INTERVAL))
    clips = []
    for name in names:
        reader = decord.VideoReader(osp.join(video_root, name), num_threads=1)
        if len(reader) < index[-1] + 1:
            raise ValueError(f'{name}: {len(reader)} frames, a clip needs {index[-1] + 1}')
        clips.append(reader.get_batch(index).asnumpy())  # (T, H, W, 3)
    return torch.from_numpy(np.stack(clips)).permute(0, 4, 1, 2, 3).contiguous()


def load_clips(data_root: str, split: str, task: str = 'direction',
               count: Optional[int] = None) -> Tuple[torch.Tensor, torch.Tensor]:
    """``(clips, labels)``: uint8 (N, 3, 8, H, W) clips of frames 0, 2, ..., 14
    (deterministic) and their ``task`` labels. The two label lists of a split
    name the same videos in the same order, so asking for the other task
    reuses the decoded clips (cached in memory)."""
    names, labels = read_list(data_root, split, task, count)
    manifest = osp.join(data_root, 'manifest.json')
    video_root = osp.abspath(osp.join(data_root, 'videos'))
    stamp = os.stat(manifest if osp.isfile(manifest) else video_root).st_mtime_ns
    return _decode(video_root, names, stamp), labels


@torch.no_grad()
def video_features(backbone: torch.nn.Module, clips: torch.Tensor, mean: Sequence[float],
                   std: Sequence[float], batch_size: int = 64) -> torch.Tensor:
    """(N, T' * D) features: the unmasked forward's final-normed tokens
    (``forward_tokens``), averaged over space per time slot, slots
    concatenated in token order (t-major, as ``patchify`` and the masks)."""
    was_training = backbone.training
    backbone.eval()
    param = next(backbone.parameters())
    slots, rows, cols = backbone.geometry.grid
    mean_t = torch.as_tensor(mean, dtype=torch.float32, device=param.device).view(1, -1, 1, 1, 1)
    std_t = torch.as_tensor(std, dtype=torch.float32, device=param.device).view(1, -1, 1, 1, 1)
    chunks = []
    try:
        for start in range(0, len(clips), batch_size):
            x = (clips[start:start + batch_size].to(param.device).float() - mean_t) / std_t
            tokens = backbone.forward_tokens(x.to(param.dtype)).latent  # (B, N, D), no prefix
            tokens = tokens.reshape(len(x), slots, rows * cols, -1)
            chunks.append(tokens.float().mean(2).flatten(1).cpu())
    finally:
        backbone.train(was_training)
    return torch.cat(chunks)


def probe_video_encoder(backbone: torch.nn.Module, pre_mean: Sequence[float],
                        pre_std: Sequence[float], data_root: str,
                        splits: Sequence[str] = ('val', ), train_count: Optional[int] = None,
                        eval_count: Optional[int] = None, batch_size: int = 64,
                        grid: Sequence[float] = WEIGHT_DECAYS) -> Dict[str, float]:
    """Linear probe (penalty chosen on val) and k-NN per task in ``TASKS``.

    Keys: ``{task}_probe_val``, ``{task}_knn_val`` (always; val chooses the
    penalty out of ``grid``, kept as ``{task}_weight_decay``) and, with ``'test'`` in
    ``splits``, ``{task}_probe`` and ``{task}_knn`` on the test split.
    """
    unknown = set(splits) - {'val', 'test'}
    if unknown or 'val' not in splits:
        raise ValueError(f"splits must be ('val',) or ('val', 'test'), got {tuple(splits)}")
    features, labels = {}, {}
    for split in ('train', *[s for s in ('val', 'test') if s in splits]):
        count = train_count if split == 'train' else eval_count
        clips, _ = load_clips(data_root, split, TASKS[0], count)
        features[split] = video_features(backbone, clips, pre_mean, pre_std, batch_size)
        for task in TASKS:
            names, labels[split, task] = read_list(data_root, split, task, count)
            if names != read_list(data_root, split, TASKS[0], count)[0]:
                raise ValueError(f'{split}_{task}.txt and {split}_{TASKS[0]}.txt name '
                                 'different videos')
    out = {}
    train_x = features['train']
    for task in TASKS:
        train_y = labels['train', task]
        wd, out[f'{task}_probe_val'] = select_weight_decay(
            train_x, train_y, features['val'], labels['val', task], grid)
        out[f'{task}_weight_decay'] = wd
        out[f'{task}_knn_val'] = knn_accuracy(train_x, train_y, features['val'],
                                              labels['val', task])
        if 'test' in splits:
            out[f'{task}_probe'] = linear_probe(train_x, train_y, features['test'],
                                                labels['test', task], wd)
            out[f'{task}_knn'] = knn_accuracy(train_x, train_y, features['test'],
                                              labels['test', task])
    return out


def build_video_backbone(kind: str = 'student', ckpt: Optional[str] = None, seed: int = 0,
                         config: str = VIDEO_CONFIG):
    """``(backbone, data_preprocessor cfg)``: the AMD video config's student
    or teacher ``MaskedVideoViT`` at its seeded initialisation, then the
    weights of ``ckpt`` (a Runner checkpoint ``iter_N.pth``: its
    ``backbone.*``; or a teacher file), loaded strictly."""
    return build_encoder(config, kind, ckpt, seed)
