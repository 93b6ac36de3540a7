"""What the repository itself must keep: a front page read in five minutes,
tools and tests that import the package rather than editing ``sys.path``, and
no file that names the machine it was written on."""
import os.path as osp
import re
import subprocess

import pytest

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..'))
README_MAX_LINES = 250
# sys.path.insert / .append / .extend / [:0] = ... / += (spelled so that this
# file does not match itself)
SYS_PATH_EDIT = re.compile(r'sys\.path\s*(\.\s*(insert|append|extend)\s*\(|\[[^\]]*\]\s*=|\+=)')
MACHINE_PATH = re.compile(r'(?<![\w.~-])/(work|tmp|root|home)/')


def tracked_files():
    out = subprocess.run(['git', 'ls-files', '-z'], cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        pytest.skip('not a git checkout')
    return [p for p in out.stdout.split('\0') if p and osp.isfile(osp.join(ROOT, p))]


def text_of(path):
    try:
        with open(osp.join(ROOT, path), encoding='utf-8') as f:
            return f.read()
    except UnicodeDecodeError:  # images, checkpoints
        return None


def test_readme_is_a_front_page():
    with open(osp.join(ROOT, 'README.md'), encoding='utf-8') as f:
        lines = f.read().splitlines()
    assert len(lines) <= README_MAX_LINES, (
        f'README.md has {len(lines)} lines (at most {README_MAX_LINES}): move details to docs/')


def test_tools_and_tests_do_not_edit_sys_path():
    offenders = []
    for path in tracked_files():
        if not (path.startswith(('tools/', 'tests/')) and path.endswith('.py')):
            continue
        for number, line in enumerate(text_of(path).splitlines(), 1):
            if SYS_PATH_EDIT.search(line):
                offenders.append(f'{path}:{number}: {line.strip()}')
    assert not offenders, ('import the installed package (pip install -e .) instead of '
                           'editing sys.path:\n' + '\n'.join(offenders))


def test_no_tracked_file_names_a_machine_path():
    offenders = []
    for path in tracked_files():
        text = text_of(path)
        for number, line in enumerate((text or '').splitlines(), 1):
            if MACHINE_PATH.search(line):
                offenders.append(f'{path}:{number}: {line.strip()[:120]}')
    assert not offenders, 'machine-specific paths in tracked files:\n' + '\n'.join(offenders)


@pytest.mark.parametrize('line, edits', [
    ('sys.path' + '.insert(0, ROOT)', True), ('sys.path' + '[:0] = [ROOT]', True),
    ('sys.path' + '.append(x)', True), ('sys.path' + ' += [x]', True),
    ('if ROOT not in sys.path:', False), ('print(sys.path)', False)])
def test_the_sys_path_check_catches_each_spelling(line, edits):
    assert bool(SYS_PATH_EDIT.search(line)) is edits


@pytest.mark.parametrize('line, machine', [
    ('see ' + '/work' + '/main/tools/train.py', True), ("out = '/" + "tmp/students'", True),
    ('/' + 'root/.cache', True), ('data/workdir/x and tmp/ and ~/tmp/', False),
    ("https://example.org/home/x", False)])
def test_the_machine_path_check_catches_absolute_paths(line, machine):
    assert bool(MACHINE_PATH.search(line)) is machine
