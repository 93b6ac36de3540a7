"""Bad configs fail at start-up, naming the field and the value."""
import pytest
from mmengine.runner import Runner

from conftest import load_tool, make_cfg

AMD = 'amd/amd_vit-nano-p4_fashion-mnist.py'


def test_missing_data_root(tmp_path, tiny_teacher_ckpt):
    cfg = make_cfg(AMD, tmp_path, data_root='/no/such/fashion-mnist',
                   **{'model.teacher.checkpoint': tiny_teacher_ckpt})
    runner = Runner.from_cfg(cfg)
    with pytest.raises(FileNotFoundError, match=r"data_root='/no/such/fashion-mnist'"):
        runner.train()


def test_missing_teacher_checkpoint(tmp_path, fashion_root):
    cfg = make_cfg(AMD, tmp_path, data_root=fashion_root,
                   **{'model.teacher.checkpoint': '/no/teacher.pth'})
    with pytest.raises(FileNotFoundError, match=r"teacher.checkpoint.*'/no/teacher.pth'"):
        Runner.from_cfg(cfg)


def test_missing_load_from(tmp_path, fashion_root):
    train = load_tool('tools/train.py')
    with pytest.raises(FileNotFoundError, match=r"--resume='/no/ckpt.pth' does not exist"):
        train.main(['configs/mae/mae_vit-tiny-p4_fashion-mnist.py', '--work-dir',
                    str(tmp_path), '--resume', '/no/ckpt.pth'])


def test_unknown_module_type(tmp_path, fashion_root, tiny_teacher_ckpt):
    cfg = make_cfg(AMD, tmp_path, data_root=fashion_root,
                   **{'model.teacher.checkpoint': tiny_teacher_ckpt,
                      'model.neck.type': 'DistillNek'})
    with pytest.raises(KeyError, match='DistillNek'):
        Runner.from_cfg(cfg)


def test_inconsistent_wiring_names_the_fields(tmp_path, fashion_root, tiny_teacher_ckpt):
    cfg = make_cfg(AMD, tmp_path, data_root=fashion_root,
                   **{'model.teacher.checkpoint': tiny_teacher_ckpt,
                      'model.teacher.feature_blocks': [6]})
    with pytest.raises(ValueError, match=r'teacher.feature_blocks=\[6\]'):
        Runner.from_cfg(cfg)
