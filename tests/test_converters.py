"""amd_mm/converters: the one final-norm mover, the one strict check and its
error, and the export that replaces hand-written backbone extraction."""
import pytest
import torch
from mmpretrain.registry import MODELS

from amd_mm.converters import (CheckpointMismatchError, IncompleteCheckpointError,
                               TeacherCheckpointError, check_state_dict, export_file,
                               load_checkpoint, move_final_norm)


def test_one_error_type():
    assert IncompleteCheckpointError is TeacherCheckpointError is CheckpointMismatchError
    assert issubclass(CheckpointMismatchError, ValueError)


@pytest.mark.parametrize('keys, target, expected', [
    (['ln1.weight', 'ln1.bias', 'layers.0.ln1.weight'], 'ln2',
     ['ln2.weight', 'ln2.bias', 'layers.0.ln1.weight']),  # block norms untouched
    (['ln2.weight'], 'ln1', ['ln1.weight']),
    (['norm.weight', 'blocks.0.norm1.weight'], 'fc_norm', ['fc_norm.weight',
                                                           'blocks.0.norm1.weight']),
    (['fc_norm.weight'], 'norm', ['norm.weight']),
    (['ln2.weight'], 'ln2', ['ln2.weight']),  # already there
    (['ln1.weight', 'ln2.weight'], 'ln2', ['ln1.weight', 'ln2.weight']),  # ambiguous
    (['ln1.weight'], None, ['ln1.weight']),
])
def test_move_final_norm(keys, target, expected):
    state = {k: torch.full((2, ), float(i)) for i, k in enumerate(keys)}
    moved = move_final_norm(state, target)
    assert list(moved) == expected
    assert [float(v[0]) for v in moved.values()] == [float(v[0]) for v in state.values()]


def test_check_state_dict_names_every_problem():
    reference = {'a': (2, ), 'b': (3, ), 'c': (1, )}
    state = {'a': torch.zeros(2), 'b': torch.zeros(4), 'extra': torch.zeros(1)}
    with pytest.raises(CheckpointMismatchError) as error:
        check_state_dict(state, reference, 'target', strict=True)
    message = str(error.value)
    assert "missing keys (1): ['c']" in message
    assert "unexpected keys (1): ['extra']" in message
    assert 'shape mismatches (1): [\'b: checkpoint (4,) vs (3,)\']' in message
    # not strict: extra keys are dropped, the rest still checked
    good = {'a': torch.zeros(2), 'b': torch.zeros(3), 'c': torch.zeros(1), 'x': torch.ones(1)}
    assert list(check_state_dict(good, reference, 'target')) == ['a', 'b', 'c']


def test_export_file_of_an_mmpretrain_mae_checkpoint(tiny_teacher_ckpt, tmp_path):
    """What the image demo does with a teacher (mmpretrain's own MAE, final norm
    in ln1): the backbone, final norm moved to ln2, loads strictly into the
    MAE fine-tune ViT."""
    out = export_file(tiny_teacher_ckpt, str(tmp_path / 'backbone.pth'))
    state = load_checkpoint(out)['state_dict']
    source = load_checkpoint(tiny_teacher_ckpt)['state_dict']
    vit = MODELS.build(dict(
        type='VisionTransformer', arch=dict(embed_dims=128, num_layers=6, num_heads=4,
                                            feedforward_channels=512),
        img_size=32, patch_size=4, patch_cfg=dict(in_channels=1), out_type='avg_featmap',
        final_norm=False))
    vit.load_state_dict({k[len('backbone.'):]: v for k, v in state.items()}, strict=True)
    assert torch.equal(state['backbone.ln2.weight'], source['backbone.ln1.weight'])
    assert not any(k.startswith(('neck.', 'head.')) for k in state)
    with pytest.raises(ValueError, match='export target'):
        export_file(tiny_teacher_ckpt, str(tmp_path / 'x.pth'), to='onnx')


def test_old_teacher_import_path():
    from amd_mm.models.teachers.checkpoint_filters import match_final_norm, unwrap_state_dict
    assert list(match_final_norm({'ln1.weight': torch.ones(1)}, ['ln2.weight'])) == ['ln2.weight']
    assert unwrap_state_dict({'state_dict': {'a': 1}}) == {'a': 1}
