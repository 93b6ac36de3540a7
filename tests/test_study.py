"""The controlled-study runner (amd_mm.apis.study): settings train through
the Runner and are probed on val, the test settings are picked from the val
numbers, a second run resumes instead of re-training, and the verdict and
the selection rules say what they should."""
import csv
import os.path as osp

import pytest

from amd_mm.apis import study, study_asymmetry, study_motion

DATA = osp.join(osp.dirname(__file__), '..', 'data', 'fashion-mnist')
needs_data = pytest.mark.skipif(not osp.isdir(DATA), reason='Fashion-MNIST not fetched')
TINY = ['--iters', '2', '--teacher-iters', '2', '--probe-train', '200', '--val-samples', '100',
        '--test-samples', '100', '--val-seeds', '0,1', '--test-seeds', '0,2']


def rows_of(path):
    with open(path, newline='') as f:
        return list(csv.DictReader(f))


@needs_data
def test_asymmetry_study_trains_probes_selects_and_resumes(tmp_path):
    argv = ['--study', 'asymmetry', '--work-dir', str(tmp_path), '--settings',
            'pixels,symmetric,amd_0.5,amd_gen-w0.5,symmetric_256'] + TINY
    study.main(argv)
    rows = rows_of(tmp_path / 'results.csv')
    got = {(r['setting'], int(r['seed']), r['split']) for r in rows}
    # val: every chosen setting on the val seeds (pixels once: no seed)
    for name in ('symmetric', 'amd_0.5', 'amd_gen-w0.5', 'symmetric_256'):
        assert {(name, 0, 'val'), (name, 1, 'val')} <= got
    assert ('pixels', 0, 'val') in got and ('pixels', 1, 'val') not in got
    # test: the references on the test seeds; the val seeds' students reused
    for name in ('symmetric', 'amd_0.5', 'symmetric_256'):
        assert {(name, 0, 'test'), (name, 2, 'test')} <= got
    assert osp.isfile(tmp_path / 'asymmetry' / 'symmetric' / 'seed2' / 'iter_2.pth')
    # the val-picked variant: tested only when it is not already preregistered
    val = {name: sum(float(r['linear_probe']) for r in rows
                     if r['setting'] == name and r['split'] == 'val')
           for name in ('amd_0.5', 'amd_gen-w0.5')}
    variant_tested = {(s, n) for s, n, split in got if split == 'test' and s == 'amd_gen-w0.5'}
    assert bool(variant_tested) == (val['amd_gen-w0.5'] > val['amd_0.5'])
    # one training per seed: seed 0's val and test rows come from one job
    trained = [r['seed'] for r in rows if r['setting'] == 'symmetric' and r['train_seconds']]
    assert sorted(trained) == ['0', '0', '1', '2']
    if variant_tested:  # picked after val: its seed-0 student is reused, not re-trained
        assert not [r for r in rows if r['setting'] == 'amd_gen-w0.5' and r['split'] == 'test'
                    and r['seed'] == '0' and r['train_seconds']]
    for row in rows:
        assert 0.0 <= float(row['linear_probe']) <= 1.0 and 0.0 <= float(row['knn']) <= 1.0
    assert osp.isfile(tmp_path / 'asymmetry.md') and osp.isfile(tmp_path / 'asymmetry.png')
    assert '256 tokens: symmetric' in (tmp_path / 'asymmetry.md').read_text()
    # a second run finds every row and trains nothing
    before = (tmp_path / 'results.csv').read_text()
    study.main(argv)
    assert (tmp_path / 'results.csv').read_text() == before


def summary_row(name, mean, std, metric='linear_probe'):
    return {'setting': name, 'n': 5, f'{metric}_mean': mean, f'{metric}_std': std}


def test_asymmetry_verdict_needs_twice_the_larger_std():
    close = [summary_row('symmetric', 0.80, 0.004), summary_row('amd_0.5', 0.81, 0.006)]
    assert study_asymmetry.verdict(close)['reproduced'] is False  # 1.0 < 2 x 0.6
    clear = [summary_row('symmetric', 0.80, 0.002), summary_row('amd_0.25', 0.81, 0.003),
             summary_row('amd_0.5', 0.79, 0.001)]
    result = study_asymmetry.verdict(clear)
    assert result['best'] == 'amd_0.25' and result['reproduced'] is True
    assert study_asymmetry.verdict([summary_row('amd_0.5', 0.8, 0.0)]) is None


def test_selection_rules_pick_the_best_val_variant():
    val = [summary_row('symmetric', 0.82, 0.0), summary_row('amd_0.5', 0.80, 0.0),
           summary_row('context_0.25', 0.83, 0.0), summary_row('mae', 0.9, 0.0)]
    # MAE and symmetric are not asymmetric variants
    assert study_asymmetry.select(val) == ['context_0.25']
    video = [summary_row('amd', 0.3, 0.0, 'direction_probe'),
             summary_row('amd_raw-targets', 0.4, 0.0, 'direction_probe'),
             summary_row('amd_blocks-last', 0.35, 0.0, 'direction_probe')]
    assert study_motion.select(video) == ['amd_raw-targets']


def test_every_setting_names_a_config_and_study_options_are_checked(capsys):
    for each in (study_asymmetry.STUDY, study_motion.STUDY):
        names = [s.name for s in each.settings]
        assert len(names) == len(set(names))
        for setting in each.settings:
            if setting.kind != 'pixels':
                assert osp.isfile(osp.join(study.ROOT, setting.config)), setting
    for argv, message in ((['--study', 'nope'], "unknown ['nope']"),
                          (["--study", "asymmetry", "--settings", "amd_9"], "unknown ['amd_9']"),
                          (['--study', 'asymmetry', '--val-seeds', 'a'], '--val-seeds'),
                          (['--study', 'asymmetry', '--jobs', '0'], '--jobs=0')):
        with pytest.raises(SystemExit):
            study.parse_args(argv)
        assert message in capsys.readouterr().err
