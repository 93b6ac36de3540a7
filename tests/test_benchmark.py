"""The benchmark tool runs and reports what it promises, and the speed-ups it
measures keep the results: fused attention equals the plain computation, and
index gathers equal boolean-mask selection."""
import copy
import math
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from conftest import load_tool

AMD = 'configs/amd/amd_vit-nano-p4_fashion-mnist.py'
MAE = 'configs/mae/mae_vit-tiny-p4_fashion-mnist.py'
VIDEO = 'configs/amd/amd_vit-nano-p16_videos.py'
# mmpretrain's MAE at the tiny AMD student's size
MAE_NANO = (MAE + '::model.backbone.arch.embed_dims=64'
            '::model.backbone.arch.num_layers=4'
            '::model.backbone.arch.feedforward_channels=256'
            '::model.neck.embed_dim=64')


@pytest.fixture(scope='module')
def bench():
    return load_tool('tools/analysis/benchmark.py')


# --------------------------------------------------------------------------
# the tool
# --------------------------------------------------------------------------
def test_compare_prints_tables_with_ratios(bench, capsys):
    step_rows, data_rows = bench.main([
        '--compare', AMD + '::mae', MAE_NANO, AMD, '--interleave',
        '--batch-size', '2', '--steps', '2', '--warmup', '1', '--teacher-full',
        '--threads', '1'])  # one thread: steadier on a shared machine
    out = capsys.readouterr().out
    assert data_rows == []
    assert len(step_rows) == 3
    assert all('error' not in r for r in step_rows), step_rows
    assert [r['has_teacher'] for r in step_rows] == [False, False, True]
    for row in step_rows:
        assert row['batch'] == 2
        assert row['min_ms'] <= row['q1_ms'] <= row['step_ms'] <= row['q3_ms'] <= row['max_ms']
        assert row['samples_per_s'] == pytest.approx(2e3 / row['step_ms'])
        assert row['static_mem_mb'] > 0 and row['step_mem_mb'] >= 0
        assert row['peak_mem_mb'] == pytest.approx(row['static_mem_mb'] + row['step_mem_mb'])
        assert set(row['parts']) == {k for k, _ in bench.PARTS}
        named = sum(v for k, v in row['parts'].items() if k != 'other')
        assert 0 < named <= row['step_ms'] * 1.01
        assert row['parts']['other'] >= 0  # the parts never overlap
        assert row['parts']['student_fwd'] > 0 and row['parts']['optim'] > 0
        assert row['parts']['bwd_student'] > 0 and row['parts']['bwd_neck_head'] > 0
    assert step_rows[0]['parts']['teacher_fwd'] == 0
    assert step_rows[2]['parts']['teacher_fwd'] > 0
    assert step_rows[2]['teacher_full_ms'] > 0
    assert step_rows[0]['input_shape'] == (2, 1, 32, 32)
    # the AMD row is compared with its own ::mae variant
    assert 'vs amd_vit-nano-p4_fashion-mnist [mae] step' in out

    lines = out.splitlines()
    summary = next(i for i, line in enumerate(lines) if line.startswith('| config'))
    header = [c.strip() for c in lines[summary].strip('|').split('|')]
    assert header == bench.SUMMARY_COLUMNS
    body = [line for line in lines[summary + 2:summary + 5]]
    assert [c.strip() for c in body[0].strip('|').split('|')][0] == \
        'amd_vit-nano-p4_fashion-mnist [mae]'
    assert body[0].rstrip(' |').endswith('1.00×')
    assert all(line.startswith('| ') for line in body)
    parts_header = next(line for line in lines[summary + 5:] if line.startswith('| config'))
    assert [c.strip() for c in parts_header.strip('|').split('|')] == \
        bench.BREAKDOWN_COLUMNS + ['teacher all blocks']
    assert 'checkpoint=None' in out and 'Interleaved' in out
    assert sum(line.startswith('Target for ') for line in lines) == 1


def test_single_config_with_cp_no_breakdown(bench, capsys):
    (row, ), _ = bench.main([AMD + '::with_cp', '--batch-size', '2', '--steps', '1',
                             '--warmup', '0', '--no-breakdown', '--threads', '1'])
    out = capsys.readouterr().out
    assert row['label'] == 'amd_vit-nano-p4_fashion-mnist [with_cp]'
    assert row['step_ms'] > 0 and row['parts'] == {}
    assert out.count('| config') == 1  # no per-part table without timers


def test_config_variants(bench):
    args = bench.parse_args([AMD, '--with-cp'])
    cfg = bench.load_config(AMD + '::mae::model.neck.decoder.depth=1', args)
    assert cfg.model.teacher is None
    assert cfg.model.neck.num_layers == 0 and cfg.model.neck.generator is None
    assert cfg.model.neck.decoder.depth == 1
    assert cfg.model.backbone.with_cp is True
    masking = bench.find_masking(cfg)
    assert masking['teacher_mask_ratio'] == masking['student_mask_ratio']

    cfg = bench.load_config(AMD + '::with_cp', bench.parse_args([AMD]))
    assert cfg.model.teacher.checkpoint is None
    assert cfg.model.backbone.with_cp and cfg.model.teacher.backbone.with_cp
    with pytest.raises(ValueError, match='neither'):
        bench.parse_spec(AMD + '::bogus')


def test_synthetic_batch_matches_pipeline(bench):
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import MODELS
    from amd_mm.models.utils import TokenSplit
    init_default_scope('mmpretrain')
    cfg = bench.load_config(AMD, bench.parse_args([AMD]))
    model = MODELS.build(cfg.model)
    masking = bench.build_masking(cfg)
    batch = bench.synth_batch(model, masking, 3)
    assert batch['inputs'].dtype == torch.uint8
    assert batch['inputs'].shape == (3, 1, 32, 32)
    tokens = TokenSplit.from_data_samples(batch['data_samples'])
    assert (tokens.num_visible, tokens.num_diff) == masking.counts[:2]

    class Video:  # a 3-D patch embedding gives clips (1, C, T, H, W)
        class backbone:
            class patch_embed:
                projection = torch.nn.Conv3d(3, 8, (2, 16, 16), (2, 16, 16))
    clip_masking = copy.copy(masking)
    clip_masking.input_size = (8, 14, 14)
    assert bench.infer_input_shape(Video, clip_masking) == (1, 3, 16, 224, 224)
    assert bench.infer_input_shape(Video, clip_masking, 4) == (4, 3, 16, 224, 224)


def test_synthetic_video_batch_has_views(bench):
    """The tiny video config's RepeatedViews: 2 videos x 4 views, one mask
    per view, counted as 8 clips; the model trains on it."""
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import MODELS
    from amd_mm.models.utils import TokenSplit
    init_default_scope('mmpretrain')
    cfg = bench.load_config(VIDEO, bench.parse_args([VIDEO]))
    assert bench.find_views(cfg) == 4
    model = MODELS.build(cfg.model)
    masking = bench.build_masking(cfg)
    batch = bench.synth_batch(model, masking, 2, views=4)
    assert batch['inputs'].shape == (2, 4, 3, 8, 112, 112)
    tokens = TokenSplit.from_data_samples(batch['data_samples'], num_views=4)
    assert tokens.student_visible.shape == (8, masking.counts[0])
    assert len({tuple(row.tolist()) for row in tokens.student_visible}) == 8
    losses = model.train_step(batch, build_optim_wrapper(model, cfg.optim_wrapper))
    assert all(torch.isfinite(v) for v in losses.values())
    assert bench.batch_label(dict(batch=8, loader_batch=2, views=4)) == '8 (2×4)'
    assert bench.batch_label(dict(batch=8, views=1)) == '8'


def test_data_pipeline_rate(bench, fashion_root):
    args = bench.parse_args([AMD, '--data', '--workers', '0', '--batch-size', '8',
                             '--cfg-options', f'train_dataloader.dataset.data_root={fashion_root}'])
    args.data_batches, args.data_warmup = 3, 1
    row = bench.benchmark_data(AMD, args)
    assert 'error' not in row, row
    assert row['samples_per_s'] > 0 and row['batch'] == 8 and row['mask_us'] > 0
    table = bench.format_data_table([row])
    assert 'samples/s' in table.splitlines()[0]

    args = bench.parse_args([AMD, '--data', '--cfg-options',
                             'train_dataloader.dataset.data_root=/nonexistent'])
    assert 'not found' in bench.benchmark_data(AMD, args)['error']


# --------------------------------------------------------------------------
# fused attention == plain softmax(QK^T / sqrt(d)) V
# --------------------------------------------------------------------------
def plain_sdpa(q, k, v, attn_mask=None, dropout_p=0., **kwargs):
    assert attn_mask is None and dropout_p == 0. and not kwargs
    weights = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]), dim=-1)
    return weights @ v


def plain_attention(attn, x):
    """mmpretrain's MultiheadAttention written out by hand."""
    B, N, _ = x.shape
    H, d = attn.num_heads, attn.head_dims
    qkv = F.linear(x, attn.qkv.weight, attn.qkv.bias)
    q, k, v = qkv.reshape(B, N, 3, H, d).permute(2, 0, 3, 1, 4)
    out = plain_sdpa(q, k, v).transpose(1, 2).reshape(B, N, H * d)
    return F.linear(out, attn.proj.weight, attn.proj.bias)


def attention_modules(model):
    from mmpretrain.models.utils.attention import MultiheadAttention
    return {name: m for name, m in model.named_modules()
            if isinstance(m, MultiheadAttention)}


@pytest.fixture(scope='module')
def amd_model(bench):
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import MODELS
    init_default_scope('mmpretrain')
    cfg = bench.load_config(AMD, bench.parse_args([AMD]))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return cfg, model


def test_every_attention_is_fused_and_exact(amd_model):
    _, model = amd_model
    modules = attention_modules(model)
    # student, teacher, both generators and the pixel decoder
    for prefix in ('backbone.', 'teacher.backbone.', 'neck.generators.0.',
                   'neck.generators.1.', 'neck.decoder.'):
        assert any(name.startswith(prefix) for name in modules), prefix
    torch.manual_seed(1)
    for name, attn in modules.items():
        assert attn.scaled_dot_product_attention is F.scaled_dot_product_attention, name
        assert isinstance(attn.gamma1, torch.nn.Identity) and not attn.v_shortcut
        x = torch.randn(3, 17, attn.input_dims)
        with torch.no_grad():
            fused, plain = attn(x), plain_attention(attn, x)
        torch.testing.assert_close(fused, plain, atol=1e-5, rtol=0, msg=name)


def test_loss_with_fused_attention_equals_plain(bench, amd_model):
    cfg, model = amd_model
    model = copy.deepcopy(model)
    batch = bench.synth_batch(model, bench.build_masking(cfg), 4, seed=3)
    data = model.data_preprocessor(batch, True)
    with torch.no_grad():
        fused = model(**data, mode='loss')
        for attn in attention_modules(model).values():
            attn.scaled_dot_product_attention = plain_sdpa
        plain = model(**data, mode='loss')
    assert set(fused) == {'loss_pixel', 'loss_direct', 'loss_gen'}
    for key in fused:
        torch.testing.assert_close(fused[key], plain[key], atol=1e-5, rtol=0, msg=key)


def plain_video_attention(attn, x):
    """MMAction2's VideoMAE attention (q and v biases, no k bias) by hand."""
    B, N, C = x.shape
    bias = None
    if hasattr(attn, 'q_bias'):
        bias = torch.cat([attn.q_bias, torch.zeros_like(attn.v_bias), attn.v_bias])
    qkv = F.linear(x, attn.qkv.weight, bias)
    q, k, v = qkv.reshape(B, N, 3, attn.num_heads, -1).permute(2, 0, 3, 1, 4)
    assert attn.scale == pytest.approx(q.shape[-1] ** -0.5)
    out = plain_sdpa(q, k, v).transpose(1, 2).reshape(B, N, C)
    return F.linear(out, attn.proj.weight, attn.proj.bias)


def test_video_attention_is_fused_and_exact(bench):
    video = 'configs/amd/amd_vit-nano-p16_videos.py'
    if not osp.isfile(osp.join(bench.ROOT, video)):
        pytest.skip('no video config yet')
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import MODELS
    init_default_scope('mmpretrain')
    cfg = bench.load_config(video, bench.parse_args([video]))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    video_attn = {name: m for name, m in model.named_modules()
                  if name.endswith('.attn') and hasattr(m, 'scale')}
    assert any(n.startswith('backbone.') for n in video_attn)
    assert any(n.startswith('teacher.backbone.') for n in video_attn)
    torch.manual_seed(2)
    for name, attn in video_attn.items():
        if hasattr(attn, 'q_bias'):  # zero-initialised: make them count
            torch.nn.init.normal_(attn.q_bias)
            torch.nn.init.normal_(attn.v_bias)
        x = torch.randn(2, 13, attn.embed_dims)
        with torch.no_grad():
            fused, plain = attn(x), plain_video_attention(attn, x)
        torch.testing.assert_close(fused, plain, atol=1e-5, rtol=0, msg=name)
    # the generators and the decoder use mmpretrain's fused attention
    assert all(m.scaled_dot_product_attention is F.scaled_dot_product_attention
               for m in attention_modules(model.neck).values())


# --------------------------------------------------------------------------
# gather-based token selection == boolean-mask selection
# --------------------------------------------------------------------------
def test_gather_equals_boolean_selection():
    from amd_mm.datasets.transforms import AsymmetricMasking
    from amd_mm.models.utils import TokenSplit, gather_tokens
    masking = AsymmetricMasking(input_size=(2, 6, 6), student_mask_ratio=0.75,
                                teacher_mask_ratio=0.4)
    B, C = 5, 7
    masks = [masking.sample() for _ in range(B)]
    student = torch.as_tensor(np.stack([m[0] for m in masks]))
    diff = torch.as_tensor(np.stack([m[1] for m in masks]))
    tokens = TokenSplit.from_masks(student, diff)
    x = torch.randn(B, student.shape[1], C)

    visible = x[~student].reshape(B, -1, C)
    assert torch.equal(gather_tokens(x, tokens.student_visible), visible)
    assert torch.equal(gather_tokens(x, tokens.student_masked),
                       x[student].reshape(B, -1, C))
    assert torch.equal(gather_tokens(x, tokens.diff), x[diff].reshape(B, -1, C))
    assert torch.equal(gather_tokens(x, tokens.teacher_visible),
                       torch.cat([visible, x[diff].reshape(B, -1, C)], dim=1))


def test_encoder_gather_equals_boolean_reference(amd_model, bench):
    """The student's masked forward equals a boolean-mask re-implementation
    (the official code's ``x[~mask].reshape(B, -1, C)``)."""
    from amd_mm.models.utils import TokenSplit
    cfg, model = amd_model
    vit = model.backbone
    batch = bench.synth_batch(model, bench.build_masking(cfg), 4, seed=5)
    inputs = model.data_preprocessor(batch, True)['inputs']
    mask = torch.stack([s.mask for s in batch['data_samples']]).bool()
    tokens = TokenSplit.from_data_samples(batch['data_samples'])
    with torch.no_grad():
        out = vit(inputs, tokens.student_visible)
        x = vit._patch_tokens(inputs)
        B, _, C = x.shape
        x = x[~mask].reshape(B, -1, C)
        x = torch.cat([vit._prefix_tokens(B), x], dim=1)
        x = vit._pre_blocks(x)
        features = {}
        for number, block in enumerate(vit._blocks, start=1):
            x = block(x)
            features[number] = x
        latent = vit._final_norm(x)
    torch.testing.assert_close(out.latent, latent, atol=1e-5, rtol=0)
    for got, block in zip(out.features, vit.feature_blocks):
        torch.testing.assert_close(got, features[block], atol=1e-5, rtol=0)

