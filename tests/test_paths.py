"""amd_mm.paths.resolve: the current folder first, then the project root."""
import os
import os.path as osp

from amd_mm import paths

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..'))
TEACHER = 'checkpoints/mae_vit-tiny-p4_1xb64-8k_fashion-mnist_fp16.pth'


def test_project_root_of_a_checkout_is_the_repository():
    assert paths.project_root() == ROOT


def test_resolve_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert paths.resolve(TEACHER) == osp.join(ROOT, TEACHER)  # not here: the shipped one
    (tmp_path / 'checkpoints').mkdir()
    (tmp_path / TEACHER).write_bytes(b'mine')
    assert paths.resolve(TEACHER) == TEACHER  # here: the current folder's, unchanged
    missing = 'checkpoints/none.pth'
    assert paths.resolve(missing) == missing  # nowhere: unchanged, for the reader's error
    assert paths.resolve('/abs/none.pth') == '/abs/none.pth'
    assert paths.resolve(None) is None and paths.resolve('') == ''
    assert os.getcwd() == str(tmp_path)
