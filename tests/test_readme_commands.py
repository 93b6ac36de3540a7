"""The README's quick shell blocks (each marked ``<!-- readme-test: quick -->``
on the line before its fence) run verbatim, in order, in one bash session from
the repository root, as a user following the README after the set-up would."""
import glob
import os
import os.path as osp
import re
import subprocess

import pytest

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..'))
MARK = '<!-- readme-test: quick -->'


def quick_blocks(path=osp.join(ROOT, 'README.md')):
    text = open(path, encoding='utf-8').read()
    return re.findall(re.escape(MARK) + r'\n```bash\n(.*?)\n```', text, flags=re.S)


def test_readme_marks_quick_blocks_and_says_how_to_activate():
    blocks = quick_blocks()
    text = open(osp.join(ROOT, 'README.md'), encoding='utf-8').read()
    assert len(blocks) == text.count(MARK) >= 4, 'a marker not followed by a ```bash block'
    assert blocks[0].splitlines()[0] == '. .venv/bin/activate'
    # the commands that use the environment come after the activation
    assert text.index('. .venv/bin/activate') < text.index('python tools/train.py')


def test_readme_quick_blocks_run_verbatim(fashion_root):
    if not osp.isfile(osp.join(ROOT, '.venv', 'bin', 'activate')):
        pytest.skip('no .venv in the repository (run tools/setup_env.sh)')
    script = 'set -euo pipefail\n' + '\n'.join(quick_blocks()) + '\n'
    env = {k: v for k, v in os.environ.items()
           if k not in ('PYTHONPATH', 'VIRTUAL_ENV')}
    out = subprocess.run(['bash', '-c', script], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=1200)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-4000:]
    log = out.stdout + out.stderr
    assert 'amd_mm 0.' in out.stdout
    # the 20-iteration run: a progress line every 2 iterations, scalars in TensorBoard
    assert 'logging every 2 iterations' in log
    assert re.search(r'Iter\(train\) \[20/20\]', log)
    events = glob.glob(osp.join(ROOT, 'work_dirs', 'readme_mae_nano', '*', 'vis_data',
                                'events.out.tfevents.*'))
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    tags = EventAccumulator(sorted(events)[-1]).Reload().Tags()['scalars']
    assert 'loss' in tags and 'lr' in tags, tags
    assert 'Training finished successfully' in out.stdout  # mim train
    for folder in ('readme_project/amd_mm', 'readme_project/mmpretrain', 'readme_mim'):
        assert osp.isfile(osp.join(ROOT, 'work_dirs', folder, 'iter_4.pth')), folder
