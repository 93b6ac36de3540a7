"""The teacher configs (dBOT with CLIP teachers, AMD with DINOv2 and with the
Hugging Face VideoMAE) build and train one step at small size, with random
teachers saved in their library's format; the teacher stays out of the
optimizer; a config that needs the `teachers` extra says so."""
import math

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS

from amd_mm import benchmark as bench
from conftest import config_path

timm = pytest.importorskip('timm')
transformers = pytest.importorskip('transformers')
from safetensors.torch import save_file  # noqa: E402

# _delete_: replaces the configs' arch='b'/'l' (a string)
STUDENT = dict(_delete_=True, embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64)
SMALL_TIMM = dict(embed_dim=32, depth=2, num_heads=2)


def save_timm(tmp_path, name, **kwargs):
    model = timm.create_model(name, pretrained=False, **kwargs)
    path = str(tmp_path / 'model.safetensors')
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, path)
    return path


def train_one_step(config, **options):
    """Build the config's model with ``options`` and run one optimizer step
    on a synthetic batch with its masks; (model, losses, optim wrapper)."""
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(config_path(config))
    cfg.merge_from_dict(options)
    if not torch.cuda.is_available() and cfg.optim_wrapper.type == 'AmpOptimWrapper':
        cfg.optim_wrapper.type = 'OptimWrapper'  # fp16 needs a GPU
        cfg.optim_wrapper.pop('loss_scale')
    model = MODELS.build(cfg.model)
    model.init_weights()
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    masking = bench.build_masking(cfg)
    batch = bench.synthetic_batch(model, masking, 2, views=bench.find_views(cfg))
    before = [p.detach().clone() for p in model.backbone.parameters()][:3]
    teacher_before = {k: v.clone() for k, v in model.teacher.state_dict().items()}
    losses = model.train_step(batch, wrapper)
    assert all(math.isfinite(float(v)) for v in losses.values())
    assert any(not torch.equal(a, b.detach())
               for a, b in zip(before, list(model.backbone.parameters())[:3]))
    assert all(torch.equal(v, teacher_before[k]) for k, v in model.teacher.state_dict().items())
    in_optimizer = {id(p) for group in wrapper.optimizer.param_groups for p in group['params']}
    assert not any(id(p) in in_optimizer for p in model.teacher.parameters())
    assert all(id(p) in in_optimizer for p in model.backbone.parameters() if p.requires_grad)
    return model, losses


@pytest.mark.parametrize('config, timm_name, patch', [
    ('dbot/vit-b_clip-b16_in1k.py', 'vit_base_patch16_clip_quickgelu_224.openai', 16),
    ('dbot/vit-l_clip-l14_in1k.py', 'vit_large_patch14_clip_quickgelu_224.openai', 14),
])
def test_dbot_clip_configs_train_a_step(tmp_path, config, timm_name, patch):
    # the paper's teacher: its last block, with its final norm
    cfg = Config.fromfile(config_path(config))
    assert cfg.model.teacher.feature_blocks == ((12, ) if patch == 16 else (24, ))
    # a 2x2 grid: the student at 32 px with /16 patches, the teacher at 2 x patch
    kwargs = dict(SMALL_TIMM, img_size=2 * patch)
    model, losses = train_one_step(config, **{
        'model.backbone.arch': STUDENT, 'model.backbone.img_size': 32,
        'model.teacher.model_kwargs': kwargs, 'model.teacher.feature_blocks': (2, ),
        'model.teacher.checkpoint': save_timm(tmp_path, timm_name, **kwargs),
        'model.neck.generator.embed_dims': 16, 'model.neck.generator.depth': 1,
        'model.neck.generator.num_heads': 2,
        'train_dataloader.dataset.masking.input_size': (2, 2)})
    assert set(losses) == {'loss', 'loss_feature'}
    teacher = model.teacher
    assert (teacher.final_norm, teacher.token_subset, teacher.describe()) == (
        True, True, f'timm {timm_name}')
    assert teacher.input_transform.size == (2 * patch, 2 * patch)
    assert model.neck.generators[0].decoder_pred.out_features == 32  # the teacher's width
    assert not model.neck.generators[0].predict_prefix


def test_amd_dinov2_config_trains_a_step(tmp_path):
    name = 'vit_large_patch14_dinov2.lvd142m'
    kwargs = dict(SMALL_TIMM, depth=4, img_size=56)  # 4x4 grid of its own
    model, losses = train_one_step('amd/vit-b_dinov2-l_in1k.py', **{
        'model.backbone.arch': STUDENT, 'model.backbone.img_size': 32,
        'model.backbone.patch_size': 8, 'model.backbone.feature_blocks': (1, 2),
        'model.teacher.model_kwargs': kwargs, 'model.teacher.feature_blocks': (2, 4),
        'model.teacher.checkpoint': save_timm(tmp_path, name, **kwargs),
        'model.neck.generator.num_heads': 2,
        'model.neck.decoder': dict(embed_dims=16, depth=1, num_heads=2),
        'train_dataloader.dataset.masking.input_size': (4, 4)})
    assert set(losses) == {'loss', 'loss_pixel', 'loss_direct', 'loss_gen'}
    assert model.teacher.input_transform.size == (56, 56)
    # re-normalised from the student's ImageNet mean/std to timm's (also ImageNet)
    assert model.teacher.default_norm()[0] == pytest.approx((123.675, 116.28, 103.53))


def test_amd_hf_videomae_config_trains_a_step(tmp_path):
    t = transformers
    teacher = t.VideoMAEForPreTraining(t.VideoMAEConfig(
        image_size=32, patch_size=16, num_frames=4, tubelet_size=2, hidden_size=32,
        num_hidden_layers=3, num_attention_heads=2, intermediate_size=64,
        decoder_hidden_size=16, decoder_num_hidden_layers=1, decoder_num_attention_heads=2,
        decoder_intermediate_size=32))
    folder = str(tmp_path / 'videomae-large')
    teacher.save_pretrained(folder)
    t.VideoMAEImageProcessor().save_pretrained(folder)
    model, losses = train_one_step('amd/vit-b_hf-videomae-l_k400.py', **{
        'model.backbone.embed_dims': 32, 'model.backbone.depth': 2,
        'model.backbone.num_heads': 2, 'model.backbone.img_size': 64,
        'model.backbone.num_frames': 4, 'model.backbone.feature_blocks': (1, 2),
        'model.teacher.checkpoint': folder, 'model.teacher.feature_blocks': (2, 3),
        'model.neck.generator.num_heads': 2,
        'model.neck.decoder': dict(embed_dims=16, depth=1, num_heads=2),
        'train_dataloader.dataset.masking.input_size': (2, 4, 4)})
    assert set(losses) == {'loss', 'loss_pixel', 'loss_direct', 'loss_gen'}
    assert type(model.teacher.backbone).__name__ == 'VideoMAEModel'
    # built for 4 frames of 32x32: its sinusoid table rebuilt for the (2, 4, 4) grid
    assert model.teacher.backbone.embeddings.position_embeddings.shape == (1, 32, 32)


def test_geometry_is_stated_once_and_checked_when_restated():
    """The neck and head configs no longer state grid, widths, patch or
    prefix count; stating one consistently still works, inconsistently
    raises naming the field."""
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(config_path('amd/amd_vit-nano-p4_fashion-mnist.py'))
    assert not {'grid', 'student_dims', 'teacher_dims', 'num_prefix'} & set(cfg.model.neck)
    assert 'patch_size' not in cfg.model.head and 'out_dims' not in cfg.model.neck.decoder
    cfg.model.teacher.checkpoint = None
    model = MODELS.build(cfg.model)
    assert (model.neck.grid, model.neck.student_dims, model.neck.teacher_dims,
            model.neck.num_prefix, model.head.patch_size) == ((8, 8), 64, 128, 1, 4)
    assert model.neck.decoder.decoder_pred.out_features == 16
    cfg.model.neck.update(grid=(8, 8), student_dims=64, teacher_dims=128)
    MODELS.build(cfg.model)  # consistent: fine
    cfg.model.head.patch_size = 8
    with pytest.raises(ValueError, match=r"head\.patch_size=8 does not match the student's "
                                         r'backbone\.patch_size=4'):
        MODELS.build(cfg.model)


def test_teacher_config_names_the_missing_extra(monkeypatch):
    from amd_mm import extras
    monkeypatch.setattr(extras, 'is_installed', lambda module: module != 'timm')
    init_default_scope('mmpretrain')
    with pytest.raises(extras.MissingExtraError, match=r'amd-mm\[teachers\]'):
        MODELS.build(dict(type='TimmTeacher', model_name='vit_base_patch16_224',
                          feature_blocks=(1, )))
    # tools/train.py's check, before anything is built
    cfg = Config.fromfile(config_path('dbot/vit-b_clip-b16_in1k.py'))
    with pytest.raises(extras.MissingExtraError,
                       match=r'vit-b_clip-b16_in1k.py needs timm.*amd-mm\[teachers\]'):
        extras.check_config(cfg)


def test_a_teacher_without_cls_behind_a_student_with_one(tmp_path):
    """SigLIP has no CLS token: aligning the student's CLS with it is refused
    at build time, naming the setting; without that alignment it trains."""
    t = transformers
    folder = str(tmp_path / 'siglip')
    t.SiglipVisionModel(t.SiglipVisionConfig(
        image_size=32, patch_size=4, hidden_size=32, num_hidden_layers=6, num_attention_heads=2,
        intermediate_size=64)).save_pretrained(folder)
    t.SiglipImageProcessor().save_pretrained(folder)
    options = {'model.teacher': dict(_delete_=True, type='HFTeacher', checkpoint=folder,
                                     feature_blocks=(3, 6))}
    with pytest.raises(ValueError, match=r'returns 0 CLS token\(s\) but the student has 1.*'
                                         r'set head\.align_prefix=False'):
        train_one_step('amd/amd_vit-nano-p4_fashion-mnist.py', **options)
    model, losses = train_one_step('amd/amd_vit-nano-p4_fashion-mnist.py',
                                   **options, **{'model.head.align_prefix': False})
    # the grey student's batch, repeated to RGB and re-normalised with SigLIP's 0.5/0.5
    assert model.teacher.input_transform.repeat == 3
    assert set(losses) == {'loss', 'loss_pixel', 'loss_direct', 'loss_gen'}


def test_amd_mm_imports_without_timm_and_transformers():
    import subprocess
    import sys
    code = ("import sys; sys.modules['timm'] = sys.modules['transformers'] = None\n"
            "import amd_mm.models\n"
            "from mmpretrain.registry import MODELS\n"
            "try:\n"
            "    MODELS.build(dict(type='HFTeacher', checkpoint='x', feature_blocks=(1, )))\n"
            "except ImportError as error:\n"
            "    print(error)\n")
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         check=True).stdout
    assert 'transformers' in out and 'amd-mm[teachers]' in out


def test_teacher_is_out_of_ddp(tmp_path):
    """Under MMEngine's DDP wrapper (one gloo process) the timm teacher has
    no parameter in the reducer, and two steps run with
    find_unused_parameters=False."""
    import subprocess
    import sys
    path = save_timm(tmp_path, 'vit_base_patch16_224', **dict(SMALL_TIMM, img_size=32,
                                                             patch_size=4))
    code = f"""
import torch, torch.distributed as dist
import amd_mm
from mmengine.config import Config
from mmengine.model import MMDistributedDataParallel
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS
from amd_mm import benchmark as bench
dist.init_process_group('gloo', init_method='tcp://127.0.0.1:{29500 + (hash(str(tmp_path)) % 500)}',
                        rank=0, world_size=1)
init_default_scope('mmpretrain')
cfg = Config.fromfile({config_path('amd/amd_vit-nano-p4_fashion-mnist.py')!r})
cfg.model.teacher = dict(type='TimmTeacher', model_name='vit_base_patch16_224',
                         checkpoint={path!r}, feature_blocks=(1, 2),
                         model_kwargs=dict(embed_dim=32, depth=2, num_heads=2, img_size=32,
                                           patch_size=4))
model = MODELS.build(cfg.model)
model.init_weights()
ddp = MMDistributedDataParallel(model, find_unused_parameters=False)
wrapper = build_optim_wrapper(ddp, cfg.optim_wrapper)
reduced = {{id(p) for p in ddp._build_params_for_reducer()[0]}}
masking = bench.build_masking(cfg)
for step in range(2):
    losses = ddp.train_step(bench.synthetic_batch(model, masking, 2, seed=step), wrapper)
print(len(reduced), sum(id(p) in reduced for p in model.teacher.parameters()),
      sum(p.requires_grad for p in model.parameters()), float(losses['loss']))
dist.destroy_process_group()
"""
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    reduced, teacher_reduced, trainable, loss = out.stdout.split()[-4:]
    assert int(teacher_reduced) == 0 and int(reduced) == int(trainable) > 0
    assert math.isfinite(float(loss))
