"""A shortened run of the video demo (tools/demo_video.py): Moving Fashion-
MNIST, the shipped video teacher, VideoMAE and AMD students, MMAction2
fine-tunes (direction, class) and the AVA-style detector, results table."""
import csv
import os.path as osp

import pytest
import torch

from amd_mm.apis import demo_video as demo
from amd_mm.apis import shipped
from conftest import ROOT


TINY = ('--num-videos', '24,8,8')  # the fixture's sizes: any other would regenerate the set


@pytest.fixture(scope='module')
def tiny_videos(tmp_path_factory, fashion_root):
    """A few Moving Fashion-MNIST videos with their AVA layout."""
    root = str(tmp_path_factory.mktemp('moving_fashion_mnist'))
    args = demo.parse_args(['--data', root, *TINY, '--ava-iters', '2'])
    demo.make_data(args)
    return root


def test_shipped_video_teacher_matches_its_recorded_hash_and_loads_strictly():
    from mmengine.config import Config
    from mmpretrain.registry import MODELS

    from amd_mm.models.teachers import load_vit_checkpoint
    path, expected = shipped.shipped_teacher('moving-fashion-mnist')
    assert shipped.sha256(path) == expected
    assert all(v.dtype == torch.float16 for v in torch.load(path)['state_dict'].values()
               if v.is_floating_point())
    cfg = Config.fromfile(osp.join(ROOT, 'configs/amd/amd_vit-nano-p16_moving-fashion-mnist.py'))
    backbone = MODELS.build(dict(cfg.model.teacher.backbone))
    load_vit_checkpoint(backbone, path)  # strict: raises on any missing/unexpected key


def test_finetuned_backbone_starts_from_the_pretrained_tensors(tmp_path, tiny_videos):
    """What MMAction2's Recognizer3D holds after init_weights is the exported
    student, tensor for tensor."""
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner
    init_default_scope('mmaction')
    args = demo.parse_args(['--data', tiny_videos, *TINY, '--work-dir', str(tmp_path),
                            '--iters', '2', '--batch-size', '2', '--workers', '0'])
    ckpt, _, _ = demo.pretrain('videomae', args, 0, None)
    exported = demo.export_for_mmaction2(ckpt, str(tmp_path / 'exports'), 'videomae')
    for task in ('direction', 'class'):
        runner = Runner.from_cfg(demo.finetune_cfg(task, 'videomae', 'student',
                                                   exported['fc_norm'], args, 0))
        runner.model.init_weights()
        own = runner.model.state_dict()
        saved = torch.load(exported['fc_norm'])['state_dict']
        assert len(saved) > 50 and all(k in own for k in saved)
        for key, value in saved.items():
            assert torch.equal(own[key].float(), value.float()), key
        # and the student really was trained: not the random init's tensors
        pre = torch.load(ckpt)['state_dict']
        assert torch.equal(pre['backbone.blocks.0.attn.qkv.weight'].float(),
                           saved['backbone.blocks.0.attn.qkv.weight'].float())


@pytest.mark.slow
def test_demo_video_pipeline_produces_every_artefact(tmp_path, tiny_videos):
    work = tmp_path / 'demo_video'
    threads = torch.get_num_threads()
    rows = demo.main(['--work-dir', str(work), '--data', tiny_videos, *TINY, '--iters', '2',
                      '--batch-size', '2', '--ft-epochs', '2', '--ava-iters', '2',
                      '--workers', '0'])
    assert torch.get_num_threads() == threads  # restored for the rest of the suite
    assert [r['model'] for r in rows] == ['random init', 'VideoMAE student', 'AMD student',
                                          'VideoMAE teacher']
    for name in ('results.md', 'results.csv', 'loss_curves.png',
                 'masks_reconstruction_VIDEOMAE.png', 'masks_reconstruction_AMD.png'):
        assert osp.getsize(work / name) > 0, name
    with open(work / 'results.csv') as f:
        table = list(csv.DictReader(f))
    assert [r['model'] for r in table] == [r['model'] for r in rows]
    for row in table:
        for key in ('direction', 'class', 'ava_map', 'direction_val', 'class_val', 'ava_map_val'):
            assert 0 <= float(row[key]) <= 1, (row['model'], key, row[key])
    md = (work / 'results.md').read_text()
    assert sum(line.startswith('|') for line in md.splitlines()) == 1 + 1 + 4


def test_a_wrong_video_teacher_hash_stops_the_demo(tmp_path, tiny_videos, monkeypatch):
    path, _ = shipped.shipped_teacher('moving-fashion-mnist')
    monkeypatch.setattr(shipped, 'shipped_teacher', lambda recipe: (path, '0' * 64))
    with pytest.raises(RuntimeError, match='teacher_sha256'):
        demo.main(['--work-dir', str(tmp_path), '--data', tiny_videos, *TINY, '--iters', '2'])


def test_bad_arguments_name_the_field(capsys):
    for argv, field in ((['--methods', 'videomae,bert'], '--methods'),
                        (['--tasks', 'colour'], '--tasks'),
                        (['--ft-epochs', '1'], '--ft-epochs'),
                        (['--num-videos', '10,0,5'], '--num-videos')):
        with pytest.raises(SystemExit):
            demo.parse_args(argv)
        assert field in capsys.readouterr().err
