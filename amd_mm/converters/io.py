"""Reading any checkpoint amd_mm converts, and writing the result."""
import argparse
import contextlib
import os
import os.path as osp

import torch
from mmengine.runner.checkpoint import CheckpointLoader


def load_checkpoint(path: str) -> dict:
    """A checkpoint on CPU: MMEngine's, or an official release, which also
    pickles its argparse ``args`` (refused by torch's weights-only loader)."""
    allow = (torch.serialization.safe_globals([argparse.Namespace])
             if hasattr(torch.serialization, 'safe_globals') else contextlib.nullcontext())
    with allow:
        return CheckpointLoader.load_checkpoint(path, map_location='cpu')


def save_checkpoint(checkpoint: dict, path: str) -> str:
    """``torch.save`` into a new or existing folder; returns ``path``."""
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    torch.save(checkpoint, path)
    return path
