"""A shortened run of the whole demo pipeline (a few iterations per stage)."""
import csv
import glob
import os.path as osp

from conftest import load_tool


def test_demo_pipeline_produces_every_artefact(tmp_path, fashion_root):
    demo = load_tool('tools/demo.py')
    work = tmp_path / 'demo'
    args = ['--work-dir', str(work), '--data', fashion_root, '--teacher-iters', '4',
            '--iters', '4', '--ft-iters', '2', '--batch-size', '8', '--probe-train', '300',
            '--test-samples', '200', '--workers', '0']
    rows = demo.main(args)
    assert [r['model'] for r in rows] == ['random student', 'MAE student', 'AMD student',
                                          'MAE teacher']
    for name in ('results.md', 'results.csv', 'loss_curves.png', 'accuracy.png',
                 'masks_reconstruction_MAE.png', 'masks_reconstruction_AMD.png'):
        assert osp.getsize(work / name) > 0, name
    with open(work / 'results.csv') as f:
        table = list(csv.DictReader(f))
    assert [r['model'] for r in table] == [r['model'] for r in rows]
    assert all(0 <= float(r['linear_probe']) <= 1 and 0 <= float(r['finetune']) <= 1 for r in table)
    md = (work / 'results.md').read_text()
    assert sum(line.startswith('|') for line in md.splitlines()) == 1 + 1 + 4  # header, rule, models
    # the visualisation hook wrote pictures during pre-training
    assert glob.glob(str(work / 'amd' / '*' / 'vis_data' / 'vis_image' / '*.png'))
    # a second run reuses the cached teacher
    demo.main(args)
    assert len(glob.glob(str(work / 'teacher' / '*' ))) > 0
