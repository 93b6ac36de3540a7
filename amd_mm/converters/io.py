"""Reading any checkpoint amd_mm converts, and writing the result."""
import os
import os.path as osp

import torch

from ..models.teachers.checkpoint_filters import load_checkpoint_file


load_checkpoint = load_checkpoint_file  # one safe loader for teachers and converters


def save_checkpoint(checkpoint: dict, path: str) -> str:
    """``torch.save`` into a new or existing folder; returns ``path``."""
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    torch.save(checkpoint, path)
    return path
