import os
import subprocess
import sys
import textwrap

from mmengine.registry import init_default_scope

import amd_mm  # noqa: F401


def test_modules_in_mmpretrain_registries():
    from mmpretrain.registry import DATASETS, HOOKS, MODELS, TRANSFORMS
    for name in ('MaskedDistiller', 'AMD', 'MaskedViT', 'FrozenTeacher', 'DistillNeck',
                 'MaskedTokenDecoder', 'MaskedDistillHead', 'TokenAlignLoss'):
        assert MODELS.get(name) is not None, name
    assert TRANSFORMS.get('AsymmetricMasking') is not None
    assert DATASETS.get('IdxImageDataset') is not None
    assert HOOKS.get('TorchRNGStateHook') is not None


def test_custom_imports_in_a_config(tmp_path):
    cfg_file = tmp_path / 'cfg.py'
    cfg_file.write_text(textwrap.dedent("""
        default_scope = 'mmpretrain'
        custom_imports = dict(imports=['amd_mm'], allow_failed_imports=False)
        model = dict(type='TokenAlignLoss', criterion='l1')
    """))
    code = textwrap.dedent(f"""
        from mmengine.config import Config
        from mmengine.registry import init_default_scope
        cfg = Config.fromfile({str(cfg_file)!r})
        init_default_scope(cfg.default_scope)
        from mmpretrain.registry import MODELS
        print(type(MODELS.build(cfg.model)).__name__)
    """)
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == 'TokenAlignLoss'


def test_broken_downstream_import_surfaces_its_real_error(tmp_path):
    fake = tmp_path / 'mmdet'
    fake.mkdir()
    (fake / '__init__.py').write_text(
        "raise AssertionError('MMCV==2.2.0 is used but incompatible. Please install mmcv<2.2.0')")
    env = dict(os.environ, PYTHONPATH=f'{tmp_path}{os.pathsep}' + os.environ.get('PYTHONPATH', ''))
    out = subprocess.run([sys.executable, '-c', 'import amd_mm'], capture_output=True,
                         text=True, env=env)
    assert out.returncode != 0
    assert 'import mmdet.registry' in out.stderr
    assert 'MMCV==2.2.0 is used but incompatible' in out.stderr
    assert 'None.registry' not in out.stderr


def test_unknown_module_type_fails_naming_it():
    init_default_scope('mmpretrain')
    from mmpretrain.registry import MODELS
    import pytest
    with pytest.raises(KeyError, match='MaskedDistilerTypo'):
        MODELS.build(dict(type='MaskedDistilerTypo'))
