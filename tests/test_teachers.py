"""amd_mm/models/teachers: timm and Hugging Face teachers against their own
libraries (features at every aligned block, on all tokens and on a subset,
the input transform), strict loading, and what keeps a teacher frozen.

Every model is a small random-weight one, saved in its library's own format
in a temporary folder."""
import json
import os.path as osp

import numpy as np
import pytest
import torch

from amd_mm.datasets.transforms import AsymmetricMasking
from amd_mm.models import TokenSplit
from amd_mm.models.backbones.masked_encoder import TokenGeometry
from amd_mm.models.heads.distill_head import InputNorm
from amd_mm.models.teachers import HFTeacher, TeacherCheckpointError, TimmTeacher

timm = pytest.importorskip('timm')
transformers = pytest.importorskip('transformers')
from safetensors.torch import load_file, save_file  # noqa: E402

TOL = 1e-5
SMALL = dict(embed_dim=32, depth=3, num_heads=2)
# name -> (timm model, create_model kwargs, token_subset)
TIMM = {
    'vit': ('vit_base_patch16_224', dict(SMALL, img_size=32, patch_size=8), True),
    'deit_distilled': ('deit_tiny_distilled_patch16_224', dict(SMALL, img_size=32, patch_size=8),
                       True),
    'dinov2_registers': ('vit_small_patch14_reg4_dinov2',
                         dict(SMALL, img_size=28, patch_size=7, init_values=0.5), True),
    'clip': ('vit_base_patch16_clip_quickgelu_224', dict(SMALL, img_size=32, patch_size=8), True),
    'siglip': ('vit_base_patch16_siglip_224', dict(SMALL, img_size=32, patch_size=8), True),
    'eva02_rope': ('eva02_tiny_patch14_224', dict(SMALL, img_size=28, patch_size=7), False),
}
IMAGENET = InputNorm(torch.tensor([123.675, 116.28, 103.53]), torch.tensor([58.395, 57.12, 57.375]))


def full_split(batch, num_tokens):
    """Every token, in raster order, as student-visible."""
    return TokenSplit(torch.arange(num_tokens).repeat(batch, 1),
                      torch.zeros(batch, 0, dtype=torch.long),
                      torch.zeros(batch, 0, dtype=torch.long), num_tokens)


def random_split(grid, batch=2, seed=0):
    np.random.seed(seed)
    masking = AsymmetricMasking(grid, 0.75, 0.5)
    masks = [masking({}) for _ in range(batch)]
    return TokenSplit.from_masks(torch.as_tensor(np.stack([m['mask'] for m in masks])),
                                 torch.as_tensor(np.stack([m['diff_mask'] for m in masks])))


def max_diff(features, reference_prefix, reference_tokens):
    return max(float((features.prefix - reference_prefix).abs().max())
               if features.prefix.numel() else 0.,
               float((torch.cat([features.visible, features.diff], 1)
                      - reference_tokens).abs().max()))


# --------------------------------------------------------------------------
# timm


def save_timm(tmp_path, case, fmt='safetensors'):
    name, kwargs, _ = TIMM[case]
    model = timm.create_model(name, pretrained=False, **kwargs)
    path = str(tmp_path / f'{case}.{fmt}')
    if fmt == 'safetensors':
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, path)
    else:
        torch.save({'state_dict': model.state_dict()}, path)
    return path


def timm_teacher(tmp_path, case, blocks=(1, 2, 3), **kwargs):
    name, model_kwargs, subset = TIMM[case]
    return TimmTeacher(name, blocks, checkpoint=save_timm(tmp_path, case),
                       model_kwargs=model_kwargs, token_subset=subset, **kwargs)


def timm_block_inputs(model, x):
    """The tokens timm feeds its first block (after embedding and
    norm_pre), captured from its own forward."""
    captured = {}
    handle = model.blocks[0].register_forward_pre_hook(
        lambda module, args: captured.update(x=args[0]))
    with torch.no_grad():
        model.forward_features(x)
    handle.remove()
    return captured['x']


@pytest.mark.parametrize('case', sorted(TIMM))
def test_timm_features_equal_timm_on_all_tokens(tmp_path, case):
    teacher = timm_teacher(tmp_path, case)
    model, P = teacher.backbone, teacher.num_prefix_tokens
    x = torch.randn(2, 3, *model.patch_embed.img_size)
    N = teacher.geometry.num_tokens
    features = teacher(x, full_split(2, N))
    with torch.no_grad():
        reference = model.forward_intermediates(x, indices=[0, 1, 2], output_fmt='NLC',
                                                intermediates_only=True,
                                                return_prefix_tokens=bool(P))
    assert len(features) == 3
    for got, want in zip(features, reference):
        tokens, prefix = want if P else (want, None)
        assert got.visible.shape == (2, N, 32) and got.prefix.shape[1] == teacher.num_cls_tokens
        assert max_diff(got, prefix[:, :teacher.num_cls_tokens] if P else got.prefix,
                        tokens) <= TOL


@pytest.mark.parametrize('case', [c for c in sorted(TIMM) if TIMM[c][2]])
def test_timm_subset_equals_timm_blocks_on_the_gathered_tokens(tmp_path, case):
    teacher = timm_teacher(tmp_path, case, blocks=(2, 3))
    model, P = teacher.backbone, teacher.num_prefix_tokens
    x = torch.randn(2, 3, *model.patch_embed.img_size)
    split = random_split(teacher.geometry.grid)
    features = teacher(x, split)
    tokens = timm_block_inputs(model, x)
    index = split.teacher_visible
    tokens = torch.cat([tokens[:, :P], torch.stack([t[i] for t, i in zip(tokens[:, P:], index)])],
                       1)
    with torch.no_grad():
        outs = []
        for block in model.blocks:
            tokens = block(tokens)
            outs.append(tokens)
    for got, want in zip(features, (outs[1], outs[2])):
        assert got.visible.shape[1] == split.num_visible and got.diff.shape[1] == split.num_diff
        assert max_diff(got, want[:, :teacher.num_cls_tokens], want[:, P:]) <= TOL


def test_timm_renormalises_grey_resizes_and_resamples_positions(tmp_path):
    """A grey 16x16 student with /4 patches (4x4 grid) behind a /7 DINOv2
    built for 14x14 (2x2 grid): the teacher resamples its positions (timm's
    set_input_size), sees 28x28 RGB normalised its own way."""
    name, kwargs, _ = TIMM['dinov2_registers']
    kwargs = dict(kwargs, img_size=14)
    model = timm.create_model(name, pretrained=False, **kwargs)
    path = str(tmp_path / 'dinov2.pth')
    torch.save(model.state_dict(), path)
    teacher = TimmTeacher(name, (3, ), checkpoint=path, model_kwargs=kwargs)
    student_norm = InputNorm(torch.tensor([127.5]), torch.tensor([50.]))
    teacher.adapt_to(TokenGeometry((4, 4), 4, 1, (16, 16), 1, 1), student_norm)
    raw = torch.randint(0, 256, (2, 1, 16, 16)).float()
    features = teacher((raw - 127.5) / 50., full_split(2, 16))
    # the library's way: RGB in [0, 1] normalised with its pretrained_cfg, at
    # the size that gives the student's grid
    cfg = timm.data.resolve_model_data_config(teacher.backbone)
    own = (raw.expand(-1, 3, -1, -1) / 255. - torch.tensor(cfg['mean'])[:, None, None]) \
        / torch.tensor(cfg['std'])[:, None, None]
    own = torch.nn.functional.interpolate(own, (28, 28), mode='bicubic', antialias=True)
    assert tuple(teacher.backbone.patch_embed.grid_size) == (4, 4)
    with torch.no_grad():
        tokens, prefix = teacher.backbone.forward_intermediates(
            own, indices=[2], output_fmt='NLC', intermediates_only=True,
            return_prefix_tokens=True)[0]
    assert max_diff(features[0], prefix[:, :1], tokens) <= TOL


@pytest.mark.parametrize('damage, pattern', [
    ('missing', r"missing keys \(\d+\): \[.*'blocks\.2\.attn\.qkv\.weight'"),
    ('unexpected', r"unexpected keys \(1\): \['blocks\.0\.attn\.extra'\]"),
    ('shape', r'shape mismatches \(1\).*blocks\.1\.mlp\.fc1\.weight'),
])
def test_timm_loads_strictly(tmp_path, damage, pattern):
    path = save_timm(tmp_path, 'vit')
    state = load_file(path)
    if damage == 'missing':
        del state['blocks.2.attn.qkv.weight']
    elif damage == 'unexpected':
        state['blocks.0.attn.extra'] = torch.zeros(3)
    else:
        state['blocks.1.mlp.fc1.weight'] = torch.zeros(7, 32)
    save_file(state, path)
    name, kwargs, _ = TIMM['vit']
    with pytest.raises(TeacherCheckpointError, match=pattern):
        TimmTeacher(name, (3, ), checkpoint=path, model_kwargs=kwargs)


def test_timm_reads_torch_files_through_its_own_loader(tmp_path):
    name, kwargs, _ = TIMM['vit']
    path = save_timm(tmp_path, 'vit', fmt='pth')  # {'state_dict': ...}
    teacher = TimmTeacher(name, (1, ), checkpoint=path, model_kwargs=kwargs)
    assert torch.equal(teacher.backbone.blocks[0].attn.qkv.weight,
                       torch.load(path)['state_dict']['blocks.0.attn.qkv.weight'])


def test_timm_errors_name_the_field(tmp_path):
    name, kwargs, _ = TIMM['vit']
    with pytest.raises(ValueError, match=r'block 4 does not exist in timm vit_base_patch16_224, '
                                         r'which has 3 blocks; blocks are numbered from 1'):
        TimmTeacher(name, (2, 4), model_kwargs=kwargs)
    with pytest.raises(FileNotFoundError, match=r"teacher.checkpoint='nowhere.pth'.*nothing is "
                                                r'downloaded'):
        TimmTeacher(name, (1, ), checkpoint='nowhere.pth', model_kwargs=kwargs)
    with pytest.raises(ValueError, match=r'final_norm=True normalises the last block \(3\)'):
        TimmTeacher(name, (2, ), model_kwargs=kwargs, final_norm=True)
    with pytest.raises(ValueError, match=r'rope.*token_subset=False'):
        TimmTeacher(TIMM['eva02_rope'][0], (1, ), model_kwargs=TIMM['eva02_rope'][1])


# --------------------------------------------------------------------------
# Hugging Face transformers

HF_SMALL = dict(hidden_size=32, num_hidden_layers=3, num_attention_heads=2, intermediate_size=64)


def hf_models():
    """family -> (model saved to the folder, the class a teacher loads, its
    input) for a 4x4 (2x2x2 for video) grid."""
    t = transformers
    image = dict(HF_SMALL, image_size=32, patch_size=8)
    clip = t.CLIPConfig(vision_config=image, text_config=dict(HF_SMALL, vocab_size=64),
                        projection_dim=16)
    return {
        'vit': (t.ViTForImageClassification(t.ViTConfig(**image, num_labels=5)), t.ViTModel),
        'vit_mae': (t.ViTMAEForPreTraining(t.ViTMAEConfig(
            **image, decoder_hidden_size=16, decoder_num_hidden_layers=1,
            decoder_num_attention_heads=2, decoder_intermediate_size=32)), t.ViTMAEModel),
        'dinov2': (t.Dinov2Model(t.Dinov2Config(
            **{k: v for k, v in image.items() if k != 'intermediate_size'}, mlp_ratio=2,
            layerscale_value=0.5)), t.Dinov2Model),
        'clip': (t.CLIPModel(clip), t.CLIPVisionModel),
        'siglip': (t.SiglipVisionModel(t.SiglipVisionConfig(**image)), t.SiglipVisionModel),
        'videomae': (t.VideoMAEForPreTraining(t.VideoMAEConfig(
            **dict(image, patch_size=16), num_frames=4, tubelet_size=2, decoder_hidden_size=16,
            decoder_num_hidden_layers=1, decoder_num_attention_heads=2,
            decoder_intermediate_size=32)), t.VideoMAEModel),
    }


def save_hf(tmp_path, family, processor=True):
    torch.manual_seed(0)
    model, load_class = hf_models()[family]
    folder = str(tmp_path / family)
    model.save_pretrained(folder)
    if processor:  # the image processor's own file
        cls = (transformers.CLIPImageProcessor if family == 'clip'
               else transformers.VideoMAEImageProcessor if family == 'videomae'
               else transformers.ViTImageProcessor)
        cls(do_resize=False, do_center_crop=False).save_pretrained(folder)
    return folder, load_class


def hf_input(family, batch=2):
    frames = (4, ) if family == 'videomae' else ()
    return torch.randn(batch, 3, *frames, 32, 32)


def hf_hidden_states(load_class, folder, family, x):
    """The library's own per-block outputs (index 0 = embeddings)."""
    kwargs = dict(add_pooling_layer=False) if family == 'vit' else {}
    model = load_class.from_pretrained(folder, local_files_only=True, **kwargs).eval()
    call = {}
    if family == 'vit_mae':
        model.config.mask_ratio = 0.
        call['noise'] = torch.arange(16.).expand(x.shape[0], -1)
    if family == 'videomae':
        x = x.transpose(1, 2)
    with torch.no_grad():
        return model(x, output_hidden_states=True, **call).hidden_states


HF_FAMILIES = ['vit', 'vit_mae', 'dinov2', 'clip', 'siglip', 'videomae']


@pytest.mark.parametrize('family', HF_FAMILIES)
def test_hf_features_equal_hidden_states_on_all_tokens(tmp_path, family):
    folder, load_class = save_hf(tmp_path, family)
    teacher = HFTeacher(folder, (0, 1, 2, 3))
    x = hf_input(family)
    N, C = teacher.geometry.num_tokens, teacher.num_cls_tokens
    features = teacher(x, full_split(2, N))
    hidden = hf_hidden_states(load_class, folder, family, x)
    assert len(hidden) == 4 == len(features)  # embeddings + 3 blocks
    for got, want in zip(features, hidden):
        assert got.visible.shape == (2, N, 32) and got.prefix.shape[1] == C
        assert max_diff(got, want[:, :C], want[:, C:]) <= TOL


@pytest.mark.parametrize('family', HF_FAMILIES)
def test_hf_subset_equals_its_layers_on_the_gathered_tokens(tmp_path, family):
    folder, load_class = save_hf(tmp_path, family)
    teacher = HFTeacher(folder, (1, 3))
    x = hf_input(family)
    split = random_split(teacher.geometry.grid)
    features = teacher(x, split)
    C = teacher.num_cls_tokens
    tokens = hf_hidden_states(load_class, folder, family, x)[0]  # the library's embedding
    index = split.teacher_visible
    tokens = torch.cat([tokens[:, :C], torch.stack([t[i] for t, i in zip(tokens[:, C:], index)])],
                       1)
    outs = []
    with torch.no_grad():
        for layer in teacher._blocks:
            tokens = layer(tokens, None) if family in ('clip', 'siglip') else layer(tokens)
            outs.append(tokens)
    for got, want in zip(features, (outs[0], outs[2])):
        assert max_diff(got, want[:, :C], want[:, C:]) <= TOL


def test_hf_renormalises_as_its_image_processor(tmp_path):
    """A student normalised with ImageNet's mean/std; the CLIP teacher sees
    what CLIPImageProcessor makes of the same pixels."""
    folder, load_class = save_hf(tmp_path, 'clip')
    teacher = HFTeacher(folder, (2, ))
    teacher.adapt_to(TokenGeometry((4, 4), 8, 1, (32, 32), 1, 3), IMAGENET)
    raw = torch.randint(0, 256, (2, 3, 32, 32), dtype=torch.uint8)
    student = (raw.float() - IMAGENET.mean[:, None, None]) / IMAGENET.std[:, None, None]
    features = teacher(student, full_split(2, 16))
    processor = transformers.CLIPImageProcessor.from_pretrained(folder)
    pixels = processor(images=[r.permute(1, 2, 0).numpy() for r in raw],
                       return_tensors='pt').pixel_values
    hidden = hf_hidden_states(load_class, folder, 'clip', pixels)
    assert max_diff(features[0], hidden[2][:, :1], hidden[2][:, 1:]) <= TOL


def test_hf_video_teacher_rebuilds_its_position_table(tmp_path):
    """VideoMAE built for 4 frames of 32x32 behind a student of 8 frames of
    48x48 (grid 4x3x3): its sinusoid table is rebuilt by its own function."""
    folder, _ = save_hf(tmp_path, 'videomae')
    teacher = HFTeacher(folder, (3, ))
    teacher.adapt_to(TokenGeometry((4, 3, 3), 16, 2, (8, 48, 48), 0, 3), IMAGENET)
    features = teacher(torch.randn(2, 3, 8, 48, 48), random_split((4, 3, 3)))
    assert features[0].visible.shape[1] + features[0].diff.shape[1] == 4 * 5
    from transformers.models.videomae.modeling_videomae import get_sinusoid_encoding_table
    assert torch.equal(teacher.backbone.embeddings.position_embeddings,
                       get_sinusoid_encoding_table(36, 32))


@pytest.mark.parametrize('damage, pattern', [
    ('missing_and_unexpected', r"missing keys \(1\): \['encoder\.layer\.2\.attention\..*"
                               r"unexpected keys \(1\): \['encoder\.layer\.0\.extra'\]"),
    ('shape', r'encoder\.layer\.1\.norm1\.weight.*\(7,\)'),
])
def test_hf_loads_strictly(tmp_path, damage, pattern):
    folder, _ = save_hf(tmp_path, 'dinov2')
    weights = osp.join(folder, 'model.safetensors')
    state = load_file(weights)
    if damage == 'shape':
        state['encoder.layer.1.norm1.weight'] = torch.ones(7)
    else:
        del state[next(k for k in state if 'layer.2.attention' in k and k.endswith('weight'))]
        state['encoder.layer.0.extra'] = torch.zeros(2)
    save_file(state, weights, metadata={'format': 'pt'})
    with pytest.raises(TeacherCheckpointError, match=pattern):
        HFTeacher(folder, (1, ))


def test_hf_other_parts_of_the_folder_are_left_out_but_nothing_else(tmp_path):
    torch.manual_seed(0)
    model, _ = hf_models()['clip']  # a whole CLIPModel: text tower too
    folder = str(tmp_path / 'clip')
    model.half().save_pretrained(folder)  # as releases often are: float16
    teacher = HFTeacher(folder, (1, ))
    assert teacher.backbone.dtype == torch.float32
    assert type(teacher.backbone).__name__ == 'CLIPVisionModel'
    with open(osp.join(folder, 'config.json')) as f:
        assert json.load(f)['model_type'] == 'clip'


def test_hf_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r'save_pretrained folder.*config.json'):
        HFTeacher(str(tmp_path), (1, ))
    folder, _ = save_hf(tmp_path, 'siglip', processor=False)
    teacher = HFTeacher(folder, (1, ))
    with pytest.raises(FileNotFoundError, match=r'preprocessor_config.json.*teacher.mean'):
        teacher.adapt_to(TokenGeometry((4, 4), 8, 1, (32, 32), 1, 3), IMAGENET)
    with pytest.raises(ValueError, match=r'which has 3 blocks'):
        HFTeacher(folder, (4, ))


# --------------------------------------------------------------------------
# frozen, eval, out of the optimizer, autocast


@pytest.fixture(params=['timm', 'hf'])
def any_teacher(request, tmp_path):
    """(teacher, input, the library's own per-block outputs of all tokens)."""
    x = torch.randn(2, 3, 32, 32)
    if request.param == 'timm':
        teacher = timm_teacher(tmp_path, 'clip', blocks=(1, 3))
        return teacher, x, lambda: [torch.cat(pair[::-1], 1) for pair in
                                    teacher.backbone.forward_intermediates(
                                        x, indices=[0, 2], output_fmt='NLC',
                                        intermediates_only=True, return_prefix_tokens=True)]
    teacher = HFTeacher(save_hf(tmp_path, 'vit')[0], (1, 3))
    return teacher, x, lambda: [teacher.backbone(x, output_hidden_states=True).hidden_states[b]
                                for b in (1, 3)]


def test_teacher_frozen_in_eval_and_follows_autocast(any_teacher):
    teacher, x, library = any_teacher
    assert not any(p.requires_grad for p in teacher.parameters())
    teacher.train()
    assert not teacher.training and not any(m.training for m in teacher.modules())
    split = full_split(2, 16)
    before = {k: v.clone() for k, v in teacher.state_dict().items()}
    teacher.init_weights()  # a model-level initialiser must not re-draw it
    assert all(torch.equal(v, before[k]) for k, v in teacher.state_dict().items())
    full = teacher(x, split)
    assert all(not part.requires_grad and not part.is_inference() for part in full[0])
    with torch.autocast('cpu', dtype=torch.bfloat16):
        mixed = teacher(x, split)
        with torch.no_grad():
            own = library()
    for got, want, fp32 in zip(mixed, own, full):
        assert got.visible.dtype == want.dtype  # what the library's forward gives
        torch.testing.assert_close(got.visible, want[:, 1:], atol=TOL, rtol=0)
        assert float((got.visible.float() - fp32.visible).abs().max()) > 1e-4  # ran in bf16


@pytest.mark.parametrize('family', ['vit', 'vit_mae', 'dinov2', 'clip', 'siglip'])
def test_hf_interpolates_its_position_table_for_another_grid(tmp_path, family):
    """Built for a 4x4 grid, behind a student with a 6x6 grid: the teacher
    takes 48x48 inputs, its library interpolates the position table."""
    folder, load_class = save_hf(tmp_path, family)
    # inputs taken as they are: raw [0, 255] student values, identity normalisation
    teacher = HFTeacher(folder, (2, ), mean=(0., ) * 3, std=(1., ) * 3)
    teacher.adapt_to(TokenGeometry((6, 6), 8, 1, (48, 48), 1, 3), None)
    x = torch.randn(2, 3, 48, 48)
    features = teacher(x, full_split(2, 36))
    kwargs = dict(add_pooling_layer=False) if family == 'vit' else {}
    model = load_class.from_pretrained(folder, local_files_only=True, **kwargs).eval()
    call = {} if family == 'dinov2' else dict(interpolate_pos_encoding=True)
    if family == 'vit_mae':
        model.config.mask_ratio = 0.
        call['noise'] = torch.arange(36.).expand(2, -1)
    with torch.no_grad():
        want = model(x, output_hidden_states=True, **call).hidden_states[2]
    C = teacher.num_cls_tokens
    assert features[0].visible.shape[1] == 36
    assert max_diff(features[0], want[:, :C], want[:, C:]) <= TOL
