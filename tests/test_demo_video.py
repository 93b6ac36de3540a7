"""A shortened run of the whole video demo pipeline (tools/demo_video.py):
time split of the real clips, teacher, VideoMAE and AMD students, arrow-of-
time probe, results table."""
import csv
import glob
import os.path as osp

import torch

from conftest import load_tool


def test_demo_video_pipeline_produces_every_artefact(tmp_path, video_root):
    import av
    demo = load_tool('tools/demo_video.py')
    work = tmp_path / 'demo_video'
    args = ['--work-dir', str(work), '--data', video_root, '--teacher-iters', '3',
            '--iters', '3', '--batch-size', '1', '--train-clips', '3', '--test-step', '8',
            '--workers', '0']
    threads = torch.get_num_threads()
    rows = demo.main(args)
    assert torch.get_num_threads() == threads  # restored for the rest of the suite
    assert [r['model'] for r in rows] == ['random student', 'VideoMAE student', 'AMD student',
                                          'VideoMAE teacher']
    for name in ('results.md', 'results.csv', 'loss_curves.png', 'clips/train_list.txt'):
        assert osp.getsize(work / name) > 0, name
    # each video cut by time: the train part is the first ~75% of its frames
    for stem in ('bikes', 'carphone_pristine', 'bigbuckbunny'):
        n = {}
        for split in ('train', 'test'):
            with av.open(str(work / 'clips' / f'{stem}_{split}.mp4')) as c:
                n[split] = sum(1 for _ in c.decode(video=0))
        assert abs(n['train'] / (n['train'] + n['test']) - 0.75) < 0.02, (stem, n)
    assert 'test' not in (work / 'clips' / 'train_list.txt').read_text()
    with open(work / 'results.csv') as f:
        table = list(csv.DictReader(f))
    assert [r['model'] for r in table] == [r['model'] for r in rows]
    assert all(0 <= float(r['arrow_of_time']) <= 1 for r in table)
    md = (work / 'results.md').read_text()
    assert sum(line.startswith('|') for line in md.splitlines()) == 1 + 1 + 4
    # the AMD student was distilled from the demo's teacher checkpoint
    assert glob.glob(str(work / 'teacher' / 'teacher_3it_seed0.pth'))


def test_time_features_tell_forward_from_reversed():
    """The probe's feature keeps the time order (slots concatenated), so a
    clip and its reversal give different features."""
    demo = load_tool('tools/demo_video.py')
    backbone, pre = demo.build_backbone('student', None)
    torch.manual_seed(0)
    clip = torch.rand(1, 3, 8, 112, 112) * 255
    feats = demo.time_features(backbone, torch.cat([clip, clip.flip(2)]), pre['mean'], pre['std'])
    assert feats.shape == (2, 4 * 64)
    assert not torch.allclose(feats[0], feats[1], atol=1e-4)
