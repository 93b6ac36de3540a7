import re

import pytest
import torch

from amd_mm.datasets.transforms import AsymmetricMasking
from amd_mm.models import FrozenTeacher, TokenSplit
from amd_mm.models.teachers import TeacherCheckpointError

ARCH = dict(embed_dims=128, num_layers=6, num_heads=4, feedforward_channels=512)
VIT = dict(type='MaskedViT', arch=ARCH, img_size=32, patch_size=4, patch_cfg=dict(in_channels=1))


def make_split(batch=3, student=0.75, teacher=0.5, seed=0):
    import numpy as np
    np.random.seed(seed)
    transform = AsymmetricMasking((8, 8), student, teacher)
    masks = [transform({}) for _ in range(batch)]
    return TokenSplit.from_masks(torch.as_tensor(np.stack([m['mask'] for m in masks])),
                                 torch.as_tensor(np.stack([m['diff_mask'] for m in masks])))


def reference_features(vit, images, index, blocks):
    """Independent computation: the whole ViT, every block, on the token
    subset `index` (CLS first, then the subset in the given order)."""
    x = vit.patch_embed.projection(images).flatten(2).transpose(1, 2)
    x = x + vit.pos_embed[:, 1:]
    x = torch.stack([x[b, index[b]] for b in range(len(x))])
    cls = (vit.cls_token + vit.pos_embed[:, :1]).expand(len(x), -1, -1)
    x = torch.cat([cls, x], dim=1)
    outs = {}
    for number, layer in enumerate(vit.layers, start=1):
        x = layer(x)
        outs[number] = x
    return [outs[b] for b in blocks]


def test_features_equal_reference_and_stop_early(tiny_teacher_ckpt):
    teacher = FrozenTeacher(VIT, feature_blocks=(2, 4), checkpoint=tiny_teacher_ckpt)
    teacher.init_weights()
    images = torch.randn(3, 1, 32, 32)
    tokens = make_split()
    called = []
    for number in (5, 6):
        teacher.backbone.layers[number - 1].register_forward_hook(
            lambda *_, n=number: called.append(n))
    feats = teacher(images, tokens)
    assert called == []  # blocks after the deepest requested one never run
    # named parts: CLS, the 16 student-visible tokens, the 16 diff tokens
    assert [(f.prefix.shape, f.visible.shape, f.diff.shape) for f in feats] == [
        ((3, 1, 128), (3, 16, 128), (3, 16, 128))] * 2
    with torch.no_grad():
        expected = reference_features(teacher.backbone, images, tokens.teacher_visible, (2, 4))
    for got, want in zip(feats, expected):
        torch.testing.assert_close(got.prefix, want[:, :1], atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(got.visible, want[:, 1:17], atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(got.diff, want[:, 17:], atol=1e-5, rtol=1e-5)
    assert called == [5, 6]  # the reference did run them: the hooks work


def test_teacher_is_frozen_and_stays_in_eval(tiny_teacher_ckpt):
    teacher = FrozenTeacher(VIT, feature_blocks=(6, ), checkpoint=tiny_teacher_ckpt)
    assert not any(p.requires_grad for p in teacher.parameters())
    teacher.train()
    assert not teacher.training and not any(m.training for m in teacher.modules())
    feats = teacher(torch.randn(2, 1, 32, 32), make_split(batch=2))
    assert all(not part.requires_grad and not part.is_inference() for part in feats[0])


def test_init_weights_reloads_checkpoint(tiny_teacher_ckpt):
    teacher = FrozenTeacher(VIT, feature_blocks=(6, ), checkpoint=tiny_teacher_ckpt)
    before = {k: v.clone() for k, v in teacher.state_dict().items()}
    for p in teacher.parameters():
        p.data.normal_()  # e.g. a model-level initialiser ran over it
    teacher.init_weights()
    for k, v in teacher.state_dict().items():
        assert torch.equal(v, before[k]), k


def _mmpretrain_state(path):
    return {k[len('backbone.'):]: v for k, v in torch.load(path)['state_dict'].items()
            if k.startswith('backbone.')}


def _to_official_mae(state):
    """mmpretrain ViT keys -> official MAE (timm) keys, written independently."""
    out = {}
    for key, value in state.items():
        key = key.replace('patch_embed.projection', 'patch_embed.proj')
        key = re.sub(r'^layers\.', 'blocks.', key)
        key = key.replace('.ln1.', '.norm1.').replace('.ln2.', '.norm2.')
        key = key.replace('ffn.layers.0.0', 'mlp.fc1').replace('ffn.layers.1', 'mlp.fc2')
        key = re.sub(r'^ln1\.', 'norm.', key)
        out[key] = value
    out['mask_token'] = torch.zeros(1, 1, 64)
    out['decoder_embed.weight'] = torch.zeros(64, 128)
    out['decoder_blocks.0.norm1.weight'] = torch.zeros(64)
    return {'model': out}


def test_both_formats_load(tiny_teacher_ckpt, tmp_path):
    reference = _mmpretrain_state(tiny_teacher_ckpt)
    official = tmp_path / 'mae_official.pth'
    torch.save(_to_official_mae(reference), official)
    for path in (tiny_teacher_ckpt, str(official)):
        teacher = FrozenTeacher(VIT, feature_blocks=(6, ), checkpoint=path)
        state = teacher.backbone.state_dict()
        assert torch.equal(state['layers.3.ffn.layers.0.0.weight'],
                           reference['layers.3.ffn.layers.0.0.weight'])
        assert torch.equal(state['ln2.weight'], reference['ln1.weight'])


@pytest.mark.parametrize('damage, expected', [
    ('missing_block', r'missing keys \(\d+\): \[.*layers\.5\.'),
    ('renamed_key', r"unexpected keys \(1\): \['layers\.0\.attn\.qkv_renamed\.weight'\]"),
    ('wrong_width', r'shape mismatches \(\d+\): \[.*checkpoint \(64'),
])
def test_bad_checkpoints_fail_with_the_keys(tiny_teacher_ckpt, tmp_path, damage, expected):
    state = _mmpretrain_state(tiny_teacher_ckpt)
    if damage == 'missing_block':
        state = {k: v for k, v in state.items() if not k.startswith('layers.5.')}
    elif damage == 'renamed_key':
        state['layers.0.attn.qkv_renamed.weight'] = state.pop('layers.0.attn.qkv.weight')
    else:
        state = {k: v[..., :64] if v.shape[-1] == 128 else v for k, v in state.items()}
        state = {k: v[:64] if v.ndim and v.shape[0] == 128 else v for k, v in state.items()}
    path = tmp_path / f'{damage}.pth'
    torch.save({'state_dict': {'backbone.' + k: v for k, v in state.items()}}, path)
    with pytest.raises(TeacherCheckpointError, match=expected):
        FrozenTeacher(VIT, feature_blocks=(6, ), checkpoint=str(path))


def test_missing_checkpoint_file_names_the_field():
    with pytest.raises(FileNotFoundError, match=r"teacher.checkpoint.*nowhere\.pth"):
        FrozenTeacher(VIT, feature_blocks=(6, ), checkpoint='nowhere.pth')


def test_feature_block_out_of_range():
    with pytest.raises(ValueError, match='teacher.feature_blocks'):
        FrozenTeacher(VIT, feature_blocks=(7, ))
