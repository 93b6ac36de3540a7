"""DMAE and dBOT from the same modules as AMD."""
import math
import os
import os.path as osp
import subprocess

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmpretrain.registry import MODELS

from conftest import (ROOT, config_path, make_cfg, masked_batch, one_training_step,
                      real_images)

DMAE = 'dmae/dmae_vit-nano-p4_fashion-mnist.py'
DBOT = 'dbot/dbot_vit-nano-p4_fashion-mnist.py'


def build(config, **options):
    cfg = Config.fromfile(config_path(config))
    cfg.merge_from_dict(options)
    init_default_scope('mmpretrain')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return cfg, model


def test_dmae_teacher_stops_at_aligned_block_and_loss_matches_reference(tiny_teacher_ckpt):
    cfg, model = build(DMAE, **{'model.teacher.checkpoint': tiny_teacher_ckpt})
    called = []
    model.teacher.backbone.layers[5].register_forward_hook(lambda *_: called.append(6))
    np.random.seed(0)
    batch = model.data_preprocessor(masked_batch(cfg, real_images(4, 32, channels=1)), False)
    losses = model(**batch, mode='loss')
    assert called == []  # block 6 of 6 never runs: the teacher stops at block 5
    assert set(losses) == {'loss_pixel', 'loss_distill'}

    # reference, written independently: both ViTs run by hand on the visible tokens
    inputs = batch['inputs']
    keep = torch.stack([(~s.mask.bool()).nonzero()[:, 0] for s in batch['data_samples']])

    def run_vit(vit, depth):
        x = vit.patch_embed.projection(inputs).flatten(2).transpose(1, 2) + vit.pos_embed[:, 1:]
        x = torch.stack([x[b, keep[b]] for b in range(len(x))])
        x = torch.cat([(vit.cls_token + vit.pos_embed[:, :1]).expand(len(x), -1, -1), x], 1)
        for layer in vit.layers[:depth]:
            x = layer(x)
        return x

    with torch.no_grad():
        student = run_vit(model.backbone, 3)
        teacher = run_vit(model.teacher.backbone, 5)
        projection = model.neck.projections[0]
        projected = student @ projection.weight.T + projection.bias
        expected = (F.normalize(teacher, dim=-1) - F.normalize(projected, dim=-1)).abs().mean()
    assert keep.shape[1] == 16
    torch.testing.assert_close(losses['loss_distill'].detach(), expected, atol=1e-6, rtol=1e-5)


def test_amd_config_made_symmetric_is_dmae():
    """AMD's config with equal ratios, no generator and DMAE's projection and
    criterion builds the same model as the DMAE config, with the same loss."""
    amd_options = {
        'model.backbone.feature_blocks': (3, ), 'model.teacher.feature_blocks': (5, ),
        'model.neck.projection': 'linear_bias',
        'model.neck.generator': None, 'model.head.gen_loss': None,
        'model.head.direct_loss': dict(type='TokenAlignLoss', criterion='l1',
                                       pred_norm='l2', target_norm='l2'),
        'model.teacher.checkpoint': None,
        'train_dataloader.dataset.masking.teacher_mask_ratio': 0.75,
    }
    cfg_amd, amd = build('amd/amd_vit-nano-p4_fashion-mnist.py', **amd_options)
    cfg_dmae, dmae = build(DMAE, **{'model.teacher.checkpoint': None})
    assert amd.state_dict().keys() == dmae.state_dict().keys()
    dmae.load_state_dict(amd.state_dict())
    np.random.seed(1)
    batch = masked_batch(cfg_amd, real_images(4, 32, channels=1))
    assert not any(s.diff_mask.any() for s in batch['data_samples'])
    data = amd.data_preprocessor(batch, False)
    got, want = amd(**data, mode='loss'), dmae(**data, mode='loss')
    # the same terms, DMAE's under its paper's name
    assert got.keys() == {'loss_pixel', 'loss_direct'}
    assert want.keys() == {'loss_pixel', 'loss_distill'}
    assert torch.equal(got['loss_pixel'], want['loss_pixel'])
    assert torch.equal(got['loss_direct'], want['loss_distill'])


def _history(runner, key):
    return np.array(runner.message_hub.get_scalar(f'train/{key}').data[0])


@pytest.mark.parametrize('config, terms', [(DMAE, ('loss_pixel', 'loss_distill')),
                                           (DBOT, ('loss_feature', ))])
def test_tiny_configs_train_and_every_term_goes_down(config, terms, tmp_path, fashion_root,
                                                     tiny_teacher_ckpt):
    options = {'train_cfg.max_iters': 100, 'param_scheduler.warmup': 10,
               'param_scheduler.end': 100, 'optim_wrapper.optimizer.lr': 2e-3}
    if config == DMAE:
        options.update({'model.teacher.checkpoint': tiny_teacher_ckpt,
                        'default_hooks.checkpoint.interval': 100})
    else:  # one stage: no switch inside these 100 iterations
        options.update({'default_hooks.teacher_bootstrap.stages': [],
                        'default_hooks.checkpoint.interval': 100})
    runner = Runner.from_cfg(make_cfg(config, tmp_path, data_root=fashion_root, **options))
    runner.train()
    for key in terms:
        history = _history(runner, key)
        assert len(history) == 100
        assert history[-10:].mean() < 0.8 * history[:10].mean(), (key, history[:10], history[-10:])


class _Snapshot(Hook):
    """Records the model and lr at one iteration, before or after the switch."""

    def __init__(self, at):
        self.at, self.seen = at, {}

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter == self.at:
            model = runner.model
            self.seen = dict(
                student={k: v.clone() for k, v in model.backbone.state_dict().items()},
                neck={k: v.clone() for k, v in model.neck.state_dict().items()},
                teacher={k: v.clone() for k, v in model.teacher.backbone.state_dict().items()},
                lr=[g['lr'] for g in runner.optim_wrapper.optimizer.param_groups],
                optimizer_state=len(runner.optim_wrapper.optimizer.state))


def dbot_cfg(tmp_path, fashion_root, stage, total, **options):
    return make_cfg(DBOT, tmp_path, data_root=fashion_root, **{
        'train_cfg.max_iters': total, 'param_scheduler.warmup': 2,
        'param_scheduler.end': stage, 'default_hooks.teacher_bootstrap.stages': [stage],
        'default_hooks.checkpoint.interval': 1,
        'default_hooks.checkpoint.max_keep_ckpts': 20, **options})


def test_dbot_stage_switch(tmp_path, fashion_root):
    runner = Runner.from_cfg(dbot_cfg(tmp_path, fashion_root, stage=5, total=8))
    first, before, after = _Snapshot(0), _Snapshot(5), _Snapshot(5)
    runner.register_hook(first, 'LOWEST')
    runner.register_hook(before, 'VERY_HIGH')  # before TeacherBootstrapHook (HIGH)
    runner.register_hook(after, 'LOWEST')
    runner.train()
    # stage 0: the teacher is the student's random initialisation
    for key, value in first.seen['teacher'].items():
        assert torch.equal(value, first.seen['student'][key]), key
    # the switch: teacher = student just before it, bit for bit
    for key, value in after.seen['teacher'].items():
        assert torch.equal(value, before.seen['student'][key]), key
    # the student (and its decoder) are re-initialised
    changed = [k for k, v in after.seen['student'].items()
               if v.is_floating_point() and not torch.equal(v, before.seen['student'][k])
               and k != 'pos_embed']
    assert 'layers.0.attn.qkv.weight' in changed and 'cls_token' in changed
    assert not torch.equal(after.seen['neck']['generators.0.decoder_blocks.0.attn.qkv.weight'],
                           before.seen['neck']['generators.0.decoder_blocks.0.attn.qkv.weight'])
    # lr restarts from the first value of the schedule; AdamW's state is cleared
    assert before.seen['lr'] != first.seen['lr']
    assert after.seen['lr'] == first.seen['lr']
    assert before.seen['optimizer_state'] > 0 and after.seen['optimizer_state'] == 0


def test_dbot_resume_across_a_switch(tmp_path, fashion_root):
    straight = Runner.from_cfg(dbot_cfg(tmp_path / 'a', fashion_root, stage=4, total=8))
    straight.train()
    ckpt = tmp_path / 'a' / 'iter_6.pth'
    resumed = Runner.from_cfg(dbot_cfg(tmp_path / 'b', fashion_root, stage=4, total=8,
                                       resume=True, load_from=str(ckpt)))
    resumed.train()
    np.testing.assert_array_equal(_history(resumed, 'loss'), _history(straight, 'loss'))
    for key, value in straight.model.state_dict().items():
        assert torch.equal(value, resumed.model.state_dict()[key]), key


def test_dbot_two_ranks_stay_identical(tmp_path, fashion_root):
    work_dir = tmp_path / 'work'
    config = tmp_path / 'dbot_dump.py'
    config.write_text(
        f"_base_ = {config_path(DBOT)!r}\n"
        "custom_imports = dict(imports=['amd_mm', 'rank_dump_hook'])\n"
        "custom_hooks = [dict(type='TorchRNGStateHook'), dict(type='RankStateDumpHook')]\n")
    cmd = ['bash', osp.join(ROOT, 'tools', 'dist_train.sh'), str(config), '2',
           '--work-dir', str(work_dir), '--cfg-options',
           f'train_dataloader.dataset.data_root={fashion_root}',
           'train_dataloader.dataset.num_samples=256', 'train_dataloader.batch_size=8',
           'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
           'train_cfg.max_iters=6', 'param_scheduler.warmup=2', 'param_scheduler.end=3',
           'default_hooks.teacher_bootstrap.stages=[3]', 'default_hooks.checkpoint.interval=6']
    env = dict(os.environ, PORT=str(29600 + os.getpid() % 1000), OMP_NUM_THREADS='1',
               PYTHONPATH=osp.join(ROOT, 'tests', 'helpers'))
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600, cwd=ROOT)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    states = [torch.load(work_dir / f'rank{r}_final.pth') for r in (0, 1)]
    assert 'teacher.backbone.layers.0.attn.qkv.weight' in states[0]
    for key, value in states[0].items():
        assert torch.equal(value, states[1][key]), key


@pytest.mark.slow
@pytest.mark.parametrize('config, terms', [
    ('dmae/vit-b_in1k.py', {'loss', 'loss_pixel', 'loss_distill'}),
    ('dmae/vit-b_mask98_in1k.py', {'loss', 'loss_pixel', 'loss_distill'}),
    ('dbot/vit-b_in1k.py', {'loss', 'loss_feature'}),
    ('dbot/vit-l_in1k.py', {'loss', 'loss_feature'}),
    ('dbot/vit-b_teacher-vit-l_in1k.py', {'loss', 'loss_feature'}),
])
def test_full_size_one_iteration(config, terms):
    _, losses = one_training_step(config, real_images(2, 224))
    assert set(losses) == terms
    assert all(math.isfinite(float(v)) for v in losses.values())
