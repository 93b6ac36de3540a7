"""The quick shell blocks of the README and of the docs pages it links (each
marked ``<!-- readme-test: quick -->`` on the line before its fence) run
verbatim, in order (README first), in one bash session from the repository
root, as a user following them after the set-up would."""
import glob
import os
import os.path as osp
import re
import subprocess

import pytest

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..'))
MARK = '<!-- readme-test: quick -->'
# the pages whose quick blocks run, in this order (the README activates the environment)
PAGES = ('README.md', 'docs/get_started.md', 'docs/configs.md', 'docs/model_zoo.md')


def quick_blocks(page='README.md'):
    text = open(osp.join(ROOT, page), encoding='utf-8').read()
    return re.findall(re.escape(MARK) + r'\n```bash\n(.*?)\n```', text, flags=re.S)


def test_every_marker_is_followed_by_a_bash_block():
    for page in PAGES + tuple(sorted(glob.glob('docs/**/*.md', root_dir=ROOT, recursive=True))):
        text = open(osp.join(ROOT, page), encoding='utf-8').read()
        assert len(quick_blocks(page)) == text.count(MARK), page
        assert text.count(MARK) == 0 or page in PAGES, f'{page}: its quick blocks never run'


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
    script = 'set -euo pipefail\n' + '\n'.join(b for page in PAGES for b in quick_blocks(page)) + '\n'
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
    for folder in ('readme_project/amd_mm', 'readme_project/mmpretrain', 'readme_mim',
                   'readme_ft', 'readme_keys'):
        assert osp.isfile(osp.join(ROOT, 'work_dirs', folder, 'iter_4.pth')), folder
    assert '0.6 0.5' in out.stdout  # docs/configs.md: the keys changed on the command line
    assert out.stdout.count(': OK') == 8  # docs/model_zoo.md: every shipped file's hash
