"""Image-only installs: without mmaction2 and mmdet (simulated in a fresh
interpreter by ``sys.modules[name] = None``, which makes ``find_spec`` report
them missing), ``import amd_mm`` works, image configs build, and anything that
needs a missing package says which extra to install. A broken installed
package still surfaces its own error (tests/test_registry.py)."""
import os
import os.path as osp
import subprocess
import sys
import textwrap

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..'))
WITHOUT = "import sys\nfor _m in {missing!r}:\n    sys.modules[_m] = None\n"


def run_without(missing, code, *args):
    script = WITHOUT.format(missing=list(missing)) + textwrap.dedent(code)
    env = dict(os.environ, PYTHONPATH=ROOT)  # the checkout's amd_mm, nothing else
    return subprocess.run([sys.executable, '-c', script, *args], capture_output=True,
                          text=True, cwd=ROOT, env=env)


def test_image_only_import_and_build():
    out = run_without(('mmaction', 'mmdet'), """
        import amd_mm
        from amd_mm import extras, registry
        print('PLACEHOLDERS', sorted(extras.PLACEHOLDERS.items()))
        print('WITH', registry.WITH_MMACTION, registry.WITH_MMDET)
        from mmengine.config import Config
        from mmengine.registry import init_default_scope
        from mmpretrain.registry import MODELS
        cfg = Config.fromfile('configs/mae/mae_vit-nano-p4_fashion-mnist.py')
        extras.check_config(cfg)
        init_default_scope('mmpretrain')
        model = MODELS.build(cfg.model)
        print('BUILT', type(model).__name__)
        print('LEAK', [m for m in sys.modules if m.split('.')[0] in ('mmaction', 'mmdet')
                       and sys.modules[m] is not None])
        """)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = dict(line.split(' ', 1) for line in out.stdout.splitlines() if ' ' in line)
    assert 'amd_mm.models.backbones.masked_video_vit' in lines['PLACEHOLDERS']
    assert 'amd_mm.datasets.video_dataset' in lines['PLACEHOLDERS']
    assert lines['WITH'] == 'False False'
    assert lines['BUILT']
    assert lines['LEAK'] == '[]'


def test_video_config_names_the_video_extra():
    out = run_without(('mmaction', ), """
        import amd_mm
        from amd_mm.extras import MissingExtraError, check_config
        from mmengine.config import Config
        from mmengine.registry import init_default_scope
        from mmpretrain.registry import MODELS
        cfg = Config.fromfile('configs/amd/amd_vit-nano-p16_videos.py')
        try:
            check_config(cfg)
        except MissingExtraError as error:
            print('CONFIG', error)
        init_default_scope('mmpretrain')
        try:  # the video student itself, built without the config check
            MODELS.build(cfg.model.backbone)
        except ImportError as error:
            print('BUILD', error)
        """)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.count('pip install "amd-mm[video]"') == 2, out.stdout
    assert 'amd_vit-nano-p16_videos.py needs mmaction2' in out.stdout


def test_det_base_config_names_the_det_extra():
    out = run_without(('mmdet', ), """
        import amd_mm
        from mmengine.config import Config
        Config.fromfile('configs/amd/benchmarks/mmdet/vitdet_mask-rcnn_vit-base-p16_lsj-100e_coco.py')
        """)
    assert out.returncode != 0
    assert 'MissingExtraError' in out.stderr and 'pip install "amd-mm[det]"' in out.stderr
    assert "mmdet::" in out.stderr


def test_train_tool_stops_with_the_extra(tmp_path):
    out = run_without(('mmaction', ), """
        sys.argv = ['train.py', 'configs/amd/amd_vit-nano-p16_videos.py', '--work-dir', sys.argv[1]]
        import runpy
        runpy.run_path('tools/train.py', run_name='__main__')
        """, str(tmp_path))
    assert out.returncode != 0
    assert 'pip install "amd-mm[video]"' in out.stderr
    assert not any(tmp_path.iterdir())  # stopped before the Runner started
