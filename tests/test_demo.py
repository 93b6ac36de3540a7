"""The demo (main job): the shipped teacher, a shortened run of the whole
pipeline, and its behaviour when one method fails."""
import csv
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from amd_mm.apis import demo_image as demo
from amd_mm.apis import shipped as shipped_files
from conftest import ROOT, config_path


def shipped():
    return shipped_files.shipped_teacher()


def test_shipped_teacher_matches_its_recorded_hash_and_loads_strictly():
    from mmpretrain.registry import MODELS
    path, expected = shipped()
    assert osp.getsize(path) < 20e6
    assert shipped_files.sha256(path) == expected
    cfg = Config.fromfile(config_path('amd/amd_vit-nano-p4_fashion-mnist.py'))
    teacher = MODELS.build(cfg.model.teacher)  # strict: raises on any key mismatch
    stored = torch.load(path, map_location='cpu')['state_dict']
    assert all(v.dtype == torch.float16 for v in stored.values() if v.is_floating_point())
    own = teacher.backbone.state_dict()
    key = 'layers.5.attn.qkv.weight'
    assert torch.equal(own[key], stored['backbone.' + key].float())


def test_shipped_teacher_features_are_far_better_than_random(fashion_root):
    """What makes it worth distilling from: k-NN on its frozen features."""
    from amd_mm.evaluation import extract_features, knn_accuracy
    train = demo.load_split(fashion_root, 'train', 2000)
    val = demo.load_split(fashion_root, 'val', 1000)
    scores = {}
    for name, ckpt in (('random', None), ('shipped', shipped()[0])):
        backbone, pre = demo.build_backbone('teacher', ckpt, seed=0)
        feats = [extract_features(backbone, x, pre['mean'], pre['std']) for x, _ in (train, val)]
        scores[name] = knn_accuracy(feats[0], train[1], feats[1], val[1])
    assert scores['shipped'] > 0.75 and scores['shipped'] > scores['random'] + 0.05, scores


def short_args(work, fashion_root, *extra):
    return ['--work-dir', str(work), '--data', fashion_root, '--iters', '4', '--ft-iters', '2',
            '--batch-size', '8', '--probe-train', '300', '--val-samples', '200',
            '--test-samples', '200', '--workers', '0', *extra]


def test_demo_pipeline_produces_every_artefact(tmp_path, fashion_root):
    work = tmp_path / 'demo'
    rows = demo.main(short_args(work, fashion_root, '--seeds', '0,1',
                                '--methods', 'mae,amd,amd_sym,dmae,dbot', '--finetune-teacher'))
    models = ['raw pixels', 'random student', 'MAE student', 'AMD student',
              'AMD student, symmetric mask', 'DMAE student', 'dBOT student', 'MAE teacher']
    assert [r['model'] for r in rows] == models * 2
    assert [r['seed'] for r in rows] == [0] * 8 + [1] * 8
    for name in ('results.md', 'results.csv', 'loss_curves.png', 'accuracy.png',
                 'masks_reconstruction_MAE.png', 'masks_reconstruction_AMD.png',
                 'masks_reconstruction_DBOT.png'):
        assert osp.getsize(work / name) > 0, name
    with open(work / 'results.csv') as f:
        table = list(csv.DictReader(f))
    assert [(r['model'], int(r['seed'])) for r in table] == [(r['model'], r['seed']) for r in rows]
    for r in table:
        for key in ('linear_probe', 'knn', 'linear_probe_val', 'knn_val'):
            assert 0 <= float(r[key]) <= 1, (r['model'], key)
    assert table[0]['finetune'] == 'nan'  # raw pixels: nothing to fine-tune
    assert 0 <= float(table[1]['finetune']) <= 1
    md = (work / 'results.md').read_text()
    table_lines = [line for line in md.splitlines() if line.startswith('|')]
    assert len(table_lines) == 2 + len(models)  # header, rule, one line per model
    assert ' ± ' in table_lines[3]  # mean ± std over the two seeds
    # the visualisation hook drew masks during pre-training, dBOT (no pixel
    # decoder) included
    for method in ('amd', 'dbot'):
        assert glob.glob(str(work / 'seed0' / method / '*' / 'vis_data' / 'vis_image' / '*.png'))


def test_a_failing_method_keeps_the_others_results(tmp_path, fashion_root, monkeypatch):
    pretrain = demo.pretrain

    def failing(method, *args):
        if method == 'amd':
            raise RuntimeError('simulated crash')
        return pretrain(method, *args)

    monkeypatch.setattr(demo, 'pretrain', failing)
    work = tmp_path / 'demo'
    rows = demo.main(short_args(work, fashion_root, '--methods', 'mae,amd'))
    assert [r['model'] for r in rows] == ['raw pixels', 'random student', 'MAE student',
                                          'MAE teacher']
    assert rows[-1]['finetune'] != rows[-1]['finetune']  # NaN: teacher probed, not fine-tuned
    assert 'Failed (see the log): AMD student (seed 0)' in (work / 'results.md').read_text()


def test_a_wrong_teacher_hash_stops_the_demo(tmp_path, fashion_root, monkeypatch):
    path, _ = shipped()
    monkeypatch.setattr(shipped_files, 'shipped_teacher', lambda recipe: (path, '0' * 64))
    with pytest.raises(RuntimeError, match='teacher_sha256'):
        demo.main(short_args(tmp_path, fashion_root, '--methods', 'mae'))


def test_make_teacher_remakes_a_strictly_loadable_teacher(tmp_path, fashion_root):
    from mmpretrain.registry import MODELS
    out, history = shipped_files.make_teacher(str(tmp_path), fashion_root, iters=3, workers=0,
                                     options={'train_dataloader.batch_size': 8})
    assert osp.basename(out) == osp.basename(shipped()[0]) and history['loss']
    cfg = Config.fromfile(config_path('amd/amd_vit-nano-p4_fashion-mnist.py'))
    cfg.model.teacher.checkpoint = out
    MODELS.build(cfg.model.teacher)
    assert torch.load(out)['meta']['config'] == shipped_files.TEACHER_CONFIG
    assert osp.isfile(osp.join(ROOT, shipped_files.TEACHER_CONFIG))


def test_a_missing_shipped_teacher_says_how_to_remake_it(tmp_path, monkeypatch):
    missing = str(tmp_path / 'gone.pth')
    monkeypatch.setattr(shipped_files, 'shipped_teacher', lambda recipe: (missing, '0' * 64))
    with pytest.raises(FileNotFoundError, match='make_teacher.py --recipe fashion-mnist'):
        shipped_files.checked_teacher()
