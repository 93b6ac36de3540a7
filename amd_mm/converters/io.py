"""Reading a checkpoint amd_mm loads or converts, loading one strictly into a
ViT, and writing a converted one."""
import argparse
import contextlib
import hashlib
import os
import os.path as osp
from typing import Callable, Optional

import torch
from mmengine.runner.checkpoint import CheckpointLoader

from ..paths import resolve
from .checks import CheckpointReadError, check_state_dict, shapes_of
from .keys import (add_fixed_positions, final_norm_slot, move_final_norm, strip_prefix,
                   timm_vit_to_mmpretrain, unwrap_state_dict)


def load_checkpoint(path: str) -> dict:
    """A checkpoint on CPU: MMEngine's, or an official release, which also
    pickles its argparse ``args`` (refused by torch's weights-only loader)."""
    path = resolve(path)  # shipped relative paths work from any folder (amd_mm.paths)
    allow = (torch.serialization.safe_globals([argparse.Namespace])
             if hasattr(torch.serialization, 'safe_globals') else contextlib.nullcontext())
    if osp.isfile(path) and os.path.getsize(path) == 0:
        raise CheckpointReadError(f'checkpoint {path!r} is an empty file')
    with allow:
        try:
            checkpoint = CheckpointLoader.load_checkpoint(path, map_location='cpu')
        except (FileNotFoundError, CheckpointReadError):
            raise
        except Exception as error:  # pickle/zip errors name no file
            raise CheckpointReadError(
                f'checkpoint {path!r} cannot be read (truncated, or not a torch '
                f'checkpoint): {type(error).__name__}: {error}') from error
    if not isinstance(checkpoint, dict):
        raise CheckpointReadError(f'checkpoint {path!r} holds a {type(checkpoint).__name__}, '
                                  'not a dict of weights')
    return checkpoint


def file_sha256(path: str) -> str:
    """The SHA-256 of a file, as ``sha256sum`` prints it."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def check_sha256(path: str, expected: str, field: str, hash_field: str) -> None:
    """Refuse a file whose SHA-256 is not the recorded one (another or a
    re-made file than the config was written for), naming the file, both
    fields and both hashes."""
    actual = file_sha256(path)
    if actual != str(expected).strip().lower():
        raise CheckpointReadError(
            f'{field}={path!r} has SHA-256 {actual}, but {hash_field}={expected}: the '
            'file is not the one the config was written for. Re-download or re-make it, '
            f'or, to use another file on purpose, update {hash_field}')


def save_checkpoint(checkpoint: dict, path: str) -> str:
    """``torch.save`` into a new or existing folder; returns ``path``."""
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    torch.save(checkpoint, path)
    return path


def load_vit_checkpoint(model: torch.nn.Module, path: str,
                        converter: Optional[Callable] = None) -> None:
    """Load an OpenMMLab-format or official-release checkpoint into an amd_mm
    ViT, strictly (a teacher, or a backbone to evaluate).

    The encoder is taken out of its wrapper (``backbone.``/``encoder.``/
    ``module.``), renamed by ``converter`` (default: the model class's
    ``checkpoint_converter``, else official MAE -> mmpretrain), its final
    norm moved to the model's slot and a fixed position table the release
    does not save taken from the model.

    Raises:
        CheckpointMismatchError: the weights do not fit, with the keys.
    """
    if converter is None:
        converter = getattr(type(model), 'checkpoint_converter', timm_vit_to_mmpretrain)
    state_dict = converter(strip_prefix(unwrap_state_dict(load_checkpoint(path))))
    state_dict = move_final_norm(state_dict, final_norm_slot(model.state_dict()))
    state_dict = add_fixed_positions(state_dict, model)
    weights = check_state_dict(state_dict, shapes_of(model),
                               f'checkpoint {path!r} for {type(model).__name__}',
                               strict=True)
    model.load_state_dict(weights, strict=True)
