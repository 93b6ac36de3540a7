"""Import path kept for scripts that load teachers through it; every
conversion lives in :mod:`amd_mm.converters`."""
from ...converters import (TeacherCheckpointError, load_vit_checkpoint,  # noqa: F401
                           move_final_norm, strip_prefix, timm_vit_to_mmpretrain,
                           unwrap_state_dict, videomae_to_mmaction)
from ...converters import final_norm_slot as _final_norm_slot


def match_final_norm(state_dict, model_keys):
    """:func:`~amd_mm.converters.move_final_norm` to the slot the model with
    ``model_keys`` has."""
    return move_final_norm(state_dict, _final_norm_slot(model_keys))
