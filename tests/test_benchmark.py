"""The benchmark library and its command line run and report what they
promise (no timing is asserted: numbers go to docs/benchmarks.md), the FLOPs
it counts equal an analytic count, and the speed-ups it measures keep the
results: fused attention equals the plain computation, and index gathers
equal boolean-mask selection."""
import copy
import math
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import amd_mm.benchmark as bench
from amd_mm.benchmark import flops as flop_count
from amd_mm.benchmark import peak as gemm_peak
from amd_mm.benchmark import report
from conftest import ROOT, load_tool

AMD = 'configs/amd/amd_vit-nano-p4_fashion-mnist.py'
DMAE = 'configs/dmae/dmae_vit-nano-p4_fashion-mnist.py'
MAE = 'configs/mae/mae_vit-tiny-p4_fashion-mnist.py'
VIDEO = 'configs/amd/amd_vit-nano-p16_videos.py'
# mmpretrain's MAE at the tiny AMD student's size
MAE_NANO = (MAE + '::model.backbone.arch.embed_dims=64'
            '::model.backbone.arch.num_layers=4'
            '::model.backbone.arch.feedforward_channels=256'
            '::model.neck.embed_dim=64')


@pytest.fixture(scope='module')
def cli():
    return load_tool('tools/analysis/benchmark.py')


def build(spec, **kwargs):
    """(cfg, model, masking) of a spec, random weights."""
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import MODELS
    init_default_scope('mmpretrain')
    cfg = bench.load_config(spec, **kwargs)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return cfg, model, bench.build_masking(cfg)


# --------------------------------------------------------------------------
# the command line
# --------------------------------------------------------------------------
def test_compare_prints_tables_with_ratios(cli, capsys):
    step_rows, data_rows = cli.main([
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
        assert 'flops' not in row  # only with --flops
    assert step_rows[0]['parts']['teacher_fwd'] == 0
    assert step_rows[2]['parts']['teacher_fwd'] > 0
    assert step_rows[2]['teacher_full_ms'] > 0
    assert step_rows[0]['input_shape'] == (2, 1, 32, 32)
    # the AMD row is compared with its own ::mae variant
    assert 'vs amd_vit-nano-p4_fashion-mnist [mae] step' in out

    lines = out.splitlines()
    summary = next(i for i, line in enumerate(lines) if line.startswith('| config'))
    header = [c.strip() for c in lines[summary].strip('|').split('|')]
    assert header == report.SUMMARY_COLUMNS
    body = [line for line in lines[summary + 2:summary + 5]]
    assert [c.strip() for c in body[0].strip('|').split('|')][0] == \
        'amd_vit-nano-p4_fashion-mnist [mae]'
    assert body[0].rstrip(' |').endswith('1.00×')
    assert all(line.startswith('| ') for line in body)
    parts_header = next(line for line in lines[summary + 5:] if line.startswith('| config'))
    assert [c.strip() for c in parts_header.strip('|').split('|')] == \
        report.BREAKDOWN_COLUMNS + ['teacher all blocks']
    assert 'checkpoint=None' in out and 'Interleaved' in out
    assert sum(line.startswith('Target for ') for line in lines) == 1


def test_single_config_with_cp_no_breakdown(cli, capsys):
    (row, ), _ = cli.main([AMD + '::with_cp', '--batch-size', '2', '--steps', '1',
                           '--warmup', '0', '--no-breakdown', '--threads', '1'])
    out = capsys.readouterr().out
    assert row['label'] == 'amd_vit-nano-p4_fashion-mnist [with_cp]'
    assert row['step_ms'] > 0 and row['parts'] == {}
    assert out.count('| config') == 1  # no per-part table without timers


def test_flops_table(cli, capsys):
    """--flops: FLOPs by part, the achieved rate over the median step and
    its fraction of the measured GEMM peak, reported in one table."""
    (row, ), _ = cli.main([AMD, '--flops', '--batch-size', '2', '--steps', '1',
                           '--warmup', '0', '--threads', '1'])
    out = capsys.readouterr().out
    flops = row['flops']
    assert flops['total'] == flops['student'] + flops['teacher'] + flops['neck_head']
    assert min(flops['student'], flops['teacher'], flops['neck_head']) > 0
    assert row['achieved_flops_per_s'] == pytest.approx(
        flops['total'] / (row['step_ms'] / 1e3))
    assert row['utilisation'] == pytest.approx(
        row['achieved_flops_per_s'] / row['peak'].flops_per_s)
    assert row['peak'].source.startswith('measured') and row['peak'].shapes
    assert set(row['part_flops_per_s']) == {'student', 'teacher', 'neck_head'}
    header = next(line for line in out.splitlines() if 'GFLOP/step' in line)
    assert [c.strip() for c in header.strip('|').split('|')] == report.FLOP_COLUMNS
    assert 'peak = measured' in out


def test_config_variants():
    cfg = bench.load_config(AMD + '::mae::model.neck.decoder.depth=1', with_cp=True)
    assert cfg.model.teacher is None
    assert cfg.model.neck.generator is None
    assert cfg.model.neck.decoder.depth == 1
    assert cfg.model.backbone.with_cp is True
    masking = bench.find_masking(cfg)
    assert masking['teacher_mask_ratio'] == masking['student_mask_ratio']

    cfg = bench.load_config(AMD + '::with_cp')
    assert cfg.model.teacher.checkpoint is None
    assert cfg.model.backbone.with_cp and cfg.model.teacher.backbone.with_cp
    with pytest.raises(ValueError, match='neither'):
        bench.parse_spec(AMD + '::bogus')


def test_data_pipeline_rate(fashion_root):
    root = {'train_dataloader.dataset.data_root': fashion_root}
    row = bench.benchmark_data(AMD, workers=0, batch_size=8, batches=3, warmup=1,
                               cfg_options=root)
    assert 'error' not in row, row
    assert row['samples_per_s'] > 0 and row['batch'] == 8 and row['mask_us'] > 0
    assert 'samples/s' in report.data_table([row]).splitlines()[0]

    missing = {'train_dataloader.dataset.data_root': '/nonexistent'}
    assert 'not found' in bench.benchmark_data(AMD, cfg_options=missing)['error']


# --------------------------------------------------------------------------
# the masked batch (the one builder, also behind tests/conftest.py)
# --------------------------------------------------------------------------
def test_synthetic_batch_matches_pipeline():
    from amd_mm.models.utils import TokenSplit
    cfg, model, masking = build(AMD)
    batch = bench.synthetic_batch(model, masking, 3)
    assert batch['inputs'].dtype == torch.uint8
    assert batch['inputs'].shape == (3, 1, 32, 32)
    tokens = TokenSplit.from_data_samples(batch['data_samples'])
    assert (tokens.num_visible, tokens.num_diff) == masking.counts[:2]
    # given inputs are kept as they are
    images = torch.zeros(2, 1, 32, 32, dtype=torch.uint8)
    assert bench.masked_batch(masking, images)['inputs'] is images

    class Video:  # a 3-D patch embedding gives clips (1, C, T, H, W)
        class backbone:
            class patch_embed:
                projection = torch.nn.Conv3d(3, 8, (2, 16, 16), (2, 16, 16))
    clip_masking = copy.copy(masking)
    clip_masking.input_size = (8, 14, 14)
    assert bench.input_shape(Video, clip_masking) == (1, 3, 16, 224, 224)
    assert bench.input_shape(Video, clip_masking, 4) == (4, 3, 16, 224, 224)


def test_synthetic_video_batch_has_views():
    """The tiny video config's RepeatedViews: 2 videos x 4 views, one mask
    per view, counted as 8 clips; the model trains on it."""
    from mmengine.optim import build_optim_wrapper
    from amd_mm.models.utils import TokenSplit
    cfg, model, masking = build(VIDEO)
    assert bench.find_views(cfg) == 4
    batch = bench.synthetic_batch(model, masking, 2, views=4)
    assert batch['inputs'].shape == (2, 4, 3, 8, 112, 112)
    tokens = TokenSplit.from_data_samples(batch['data_samples'], num_views=4)
    assert tokens.student_visible.shape == (8, masking.counts[0])
    assert len({tuple(row.tolist()) for row in tokens.student_visible}) == 8
    losses = model.train_step(batch, build_optim_wrapper(model, cfg.optim_wrapper))
    assert all(torch.isfinite(v) for v in losses.values())
    assert report.batch_label(dict(batch=8, loader_batch=2, views=4)) == '8 (2×4)'
    assert report.batch_label(dict(batch=8, views=1)) == '8'


# --------------------------------------------------------------------------
# FLOPs against an analytic count, and the peak
# --------------------------------------------------------------------------
def vit_flops(batch, patches, patch_in, dims, ffn, depth, tokens):
    """Forward FLOPs of a ViT encoding ``tokens`` tokens (CLS included) of
    ``patches`` embedded ones: patch embedding (of every patch), then per
    block qkv + output projection (4 D²) and the MLP (2 D F) per token, and
    attention's QK^T and AV (2 T² D)."""
    embed = 2 * batch * patches * patch_in * dims
    linear = 2 * batch * tokens * (4 * dims ** 2 + 2 * dims * ffn)
    attention = 2 * 2 * batch * tokens ** 2 * dims
    return embed, depth * linear, depth * attention


def test_fused_attention_flops_counted():
    """F.scaled_dot_product_attention on CPU (which FlopCounterMode of torch
    2.13 does not count by itself): 4·B·H·N²·d forward; backward the
    scores recomputed and four gradient products, 10·B·H·N²·d."""
    B, H, N, d = 2, 3, 10, 8
    q, k, v = (torch.randn(B, H, N, d, requires_grad=True) for _ in range(3))
    mode = flop_count.counting_mode({})
    with mode:
        out = F.scaled_dot_product_attention(q, k, v)
        forward = mode.get_total_flops()
        out.sum().backward()
    assert forward == 4 * B * H * N * N * d
    assert mode.get_total_flops() - forward == BACKWARD_SDPA_FACTOR * 4 * B * H * N * N * d


# fused attention's backward: QK^T recomputed, then the gradients of the
# scores, V, Q and K: 5 products for the forward's 2
BACKWARD_SDPA_FACTOR = 2.5


def test_step_flops_equal_analytic_count():
    """Nano AMD at batch 2: the student (64 patches, 16 visible + CLS, 64-d,
    4 blocks) forward and backward, the teacher (128-d, 6 blocks, 32 tokens
    + CLS) forward only, under inference mode; the rest is the neck/head."""
    cfg, model, masking = build(AMD)
    B = 2
    data = bench.synthetic_batch(model, masking, B)
    counted = flop_count.count_step_flops(model, data)
    visible, diff, _ = masking.counts
    embed, linear, attention = vit_flops(B, 64, 16, 64, 256, 4, visible + 1)
    assert counted.forward['student'] == embed + linear + attention
    # backward: input and weight gradients of every product (2x), the patch
    # embedding's weight gradient only (its input is the image)
    assert counted.backward['student'] == (
        embed + 2 * linear + BACKWARD_SDPA_FACTOR * attention)
    assert counted.forward['teacher'] == sum(
        vit_flops(B, 64, 16, 128, 512, 6, visible + diff + 1))
    assert counted.backward['teacher'] == 0
    assert counted.part('neck') > 0
    assert counted.total == sum(counted.as_dict()[k]
                                for k in ('student', 'teacher', 'neck_head'))
    assert all(p.grad is None for p in model.parameters())
    # the products are recorded by shape (batch, m, k, n): the student's
    # qkv projection of its 2 x 17 tokens, forward and input gradient
    T = B * (visible + 1)
    assert counted.gemms[(1, T, 64, 3 * 64)] >= 4 * 2 * T * 64 * 3 * 64
    assert counted.gemms[(1, T, 3 * 64, 64)] >= 4 * 2 * T * 64 * 3 * 64
    assert 0 < sum(counted.gemms.values()) < counted.total


def test_teacher_flops_stop_at_deepest_block():
    """DMAE's teacher stops at its aligned block: it costs that many blocks."""
    cfg, model, masking = build(DMAE)
    deepest = max(model.teacher.feature_blocks)
    assert deepest < len(model.teacher.backbone._blocks)
    data = bench.synthetic_batch(model, masking, 2)
    counted = flop_count.count_step_flops(model, data)
    visible, diff, _ = masking.counts
    arch = model.teacher.backbone
    dims = arch.embed_dims
    ffn = arch._blocks[0].ffn.layers[0][0].out_features
    assert counted.forward['teacher'] == sum(
        vit_flops(2, 64, 16, dims, ffn, deepest, visible + diff + 1))


def test_peak_shapes_and_datasheet():
    gemms = {(1, 64, 64, 64): 50, (1, 32, 32, 32): 30, (4, 8, 8, 8): 15,
             (1, 2, 2, 2): 5}
    chosen = gemm_peak.main_shapes(gemms, coverage=0.9)
    assert [s for s, _ in chosen] == [(1, 64, 64, 64), (1, 32, 32, 32), (4, 8, 8, 8)]
    assert [share for _, share in chosen] == pytest.approx([0.5, 0.3, 0.15])
    peak = gemm_peak.machine_peak(gemms, 'cpu', min_time=0.001)
    assert peak.flops_per_s == max(rate for _, _, rate in peak.shapes) > 0
    assert peak.mix_flops_per_s <= peak.flops_per_s * (1 + 1e-9)
    table = gemm_peak.datasheet_peak
    assert table('NVIDIA H100 80GB HBM3', torch.bfloat16) == pytest.approx(989.4e12)
    assert table('NVIDIA H100 PCIe', torch.bfloat16) == pytest.approx(756e12)
    assert table('NVIDIA A100-SXM4-80GB', torch.float32) == pytest.approx(19.5e12)
    assert table('NVIDIA A10', torch.float32) == pytest.approx(31.2e12)
    assert table('NVIDIA L4', torch.bfloat16) == pytest.approx(121e12)
    assert table('Tesla V100-SXM2-32GB', torch.bfloat16) is None
    assert table('Some Future GPU', torch.bfloat16) is None


def test_cuda_peak_from_datasheet(monkeypatch):
    """On CUDA the peak is the device's datasheet rate for the step's dtype
    (the step's GEMMs are still timed, for the notes); an unknown device is
    measured with one large GEMM (no GPU needed: both stubbed)."""
    timed = gemm_peak.GemmPeak(5e12, 'measured', [((1, 8, 8, 8), 1., 5e12)], 5e12, 5e12)
    monkeypatch.setattr(gemm_peak, 'measured_peak', lambda *a, **k: copy.copy(timed))
    monkeypatch.setattr(gemm_peak, 'gemm_rate', lambda *a, **k: 7e12)
    monkeypatch.setattr(torch.cuda, 'get_device_name', lambda *a: 'NVIDIA H100 80GB HBM3')
    peak = gemm_peak.machine_peak({(1, 8, 8, 8): 1}, 'cuda', torch.bfloat16)
    assert peak.flops_per_s == pytest.approx(989.4e12)
    assert 'H100 80GB HBM3 dense bf16 datasheet' in peak.source
    assert peak.best_measured == 5e12
    assert gemm_peak.machine_peak({}, 'cuda', torch.float32).flops_per_s == \
        pytest.approx(66.9e12)
    monkeypatch.setattr(torch.cuda, 'get_device_name', lambda *a: 'Some Future GPU')
    peak = gemm_peak.machine_peak({(1, 8, 8, 8): 1}, 'cuda', torch.bfloat16)
    assert peak.flops_per_s == 7e12 and 'not in the datasheet table' in peak.source


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
def amd_model():
    cfg, model, _ = build(AMD)
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


def test_loss_with_fused_attention_equals_plain(amd_model):
    cfg, model = amd_model
    model = copy.deepcopy(model)
    batch = bench.synthetic_batch(model, bench.build_masking(cfg), 4, seed=3)
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


def test_video_attention_is_fused_and_exact():
    _, model, _ = build(VIDEO)
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


def test_encoder_gather_equals_boolean_reference(amd_model):
    """The student's masked forward equals a boolean-mask re-implementation
    (the official code's ``x[~mask].reshape(B, -1, C)``)."""
    from amd_mm.models.utils import TokenSplit
    cfg, model = amd_model
    vit = model.backbone
    batch = bench.synthetic_batch(model, bench.build_masking(cfg), 4, seed=5)
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

