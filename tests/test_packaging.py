"""amd_mm as an OpenMMLab package: ``amd_mm/.mim`` (configs, tools,
model-index.yml) in the repository and in a wheel, ``amd_mm::`` configs from a
folder outside the repository (with the failure the compat fix prevents), the
model index, and ``mim search/train/test amd_mm``."""
import os
import os.path as osp
import shutil
import subprocess
import sys
import textwrap
import zipfile

import pytest
import yaml

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..'))
BIN = osp.dirname(sys.executable)
MIM = osp.join(BIN, 'mim')
MIM_ITEMS = ('configs', 'tools', 'checkpoints', 'model-index.yml')


def run(cmd, cwd, env=None, timeout=600):
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


def clean_env(**extra):
    """The test interpreter's environment without the repository on PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    env.update(extra)
    return env


# --------------------------------------------------------------- the layout


def test_mim_folder_links_to_the_single_copy():
    for name in MIM_ITEMS:
        link = osp.join(ROOT, 'amd_mm', '.mim', name)
        assert osp.islink(link), f'{link} must be a link, not a copy'
        assert osp.realpath(link) == osp.join(ROOT, name)
    modes = run(['git', 'ls-files', '-s', 'amd_mm/.mim'], ROOT).stdout.split('\n')
    tracked = {line.split('\t')[-1]: line.split()[0] for line in modes if line}
    if tracked:  # a git checkout: the links are committed as links (mode 120000)
        assert tracked == {f'amd_mm/.mim/{n}': '120000' for n in MIM_ITEMS}


def test_model_index_lists_existing_configs_and_readmes():
    index = yaml.safe_load(open(osp.join(ROOT, 'model-index.yml')))
    metafiles = sorted(index['Import'])
    assert metafiles == sorted(f'configs/{a}/metafile.yml' for a in ('amd', 'dbot', 'dmae', 'mae'))
    names = set()
    for metafile in metafiles:
        meta = yaml.safe_load(open(osp.join(ROOT, metafile)))
        collections = {c['Name']: c for c in meta['Collections']}
        for collection in collections.values():
            assert osp.isfile(osp.join(ROOT, collection['README']))
            assert collection['Paper']['URL'].startswith('https://arxiv.org/abs/')
        for model in meta['Models']:
            assert model['In Collection'] in collections, model['Name']
            assert model['Name'] not in names, f'duplicate model name {model["Name"]}'
            names.add(model['Name'])
            assert osp.isfile(osp.join(ROOT, model['Config'])), model['Config']
            for result in model.get('Results') or []:
                assert {'Task', 'Dataset', 'Metrics'} <= set(result)
    # the shipped teacher has its entry (checked with every other one in test_model_zoo.py)
    assert 'mae_vit-tiny-p4_1xb64-8k_fashion-mnist' in names


# ------------------------------------------------- amd_mm:: from a scratch folder

SCRATCH_CONFIG = textwrap.dedent("""\
    _base_ = ['amd_mm::mae/mae_vit-nano-p4_fashion-mnist.py']
    train_cfg = dict(max_iters=7)
    """)
DET_CONFIG = textwrap.dedent("""\
    _base_ = ['amd_mm::amd/benchmarks/mmdet/vitdet_mask-rcnn_vit-base-p16_lsj-100e_coco.py']
    """)
LOAD = textwrap.dedent("""\
    import sys
    {prelude}
    from mmengine.config import Config
    cfg = Config.fromfile(sys.argv[1])
    print('MODEL', cfg.model.type, cfg.get('default_scope'))
    print('SCOPE', cfg.model.get('_scope_'), cfg.get('train_cfg', dict()).get('max_iters'))
    print('TEXT', ' '.join(line for line in cfg._text.splitlines()
                           if line.startswith('/') and line.endswith('.py')))
    """)


@pytest.fixture
def scratch(tmp_path):
    folder = tmp_path / 'my_project'
    folder.mkdir()
    (folder / 'my_mae.py').write_text(SCRATCH_CONFIG)
    (folder / 'my_vitdet.py').write_text(DET_CONFIG)
    return folder


def test_plain_mmengine_cannot_resolve_amd_mm_configs(scratch):
    """The failure the compat fix prevents (MMEngine alone, no amd_mm)."""
    out = run([sys.executable, '-c', LOAD.format(prelude=''), 'my_mae.py'], scratch,
              env=clean_env())
    assert out.returncode != 0
    assert 'mmengine does not support to load amd_mm config' in out.stderr


def test_amd_mm_configs_from_a_scratch_folder(scratch):
    for config, model_type, scope in (('my_mae.py', 'MaskedDistiller', 'mmpretrain'),
                                      ('my_vitdet.py', 'MaskRCNN', 'mmdet')):
        out = run([sys.executable, '-c', LOAD.format(prelude='import amd_mm'), config],
                  scratch, env=clean_env())
        assert out.returncode == 0, out.stderr[-3000:]
        lines = dict(line.split(' ', 1) for line in out.stdout.splitlines() if ' ' in line)
        assert lines['MODEL'].split()[1] == scope, out.stdout
        # no _scope_='amd_mm' stamped on the inherited dicts: the base's own scope rules
        assert 'amd_mm' not in lines['SCOPE'], out.stdout
        if config == 'my_mae.py':
            assert lines['SCOPE'].split()[1] == '7'


def test_editable_layout_without_package_folder(tmp_path):
    """An editable (PEP 660) install: the dist-info lies in site-packages, the
    package elsewhere, so MMEngine's get_installed_path names a folder that does
    not exist. Rebuilt here with a fake package in MMEngine's table."""
    site, src = tmp_path / 'site', tmp_path / 'src'
    (site / 'fakepkg-0.1.dist-info').mkdir(parents=True)
    (site / 'fakepkg-0.1.dist-info' / 'METADATA').write_text(
        'Metadata-Version: 2.1\nName: fakepkg\nVersion: 0.1\n')
    (site / 'fakepkg-0.1.dist-info' / 'top_level.txt').write_text('fakepkg\n')
    configs = src / 'fakepkg' / '.mim' / 'configs' / 'algo'
    configs.mkdir(parents=True)
    (src / 'fakepkg' / '__init__.py').write_text('')
    (src / 'fakepkg' / '.mim' / 'model-index.yml').write_text('Import: []\n')
    (configs / 'base.py').write_text('model = dict(type="Foo", depth=3)\n')
    (tmp_path / 'child.py').write_text("_base_ = ['fakepkg::algo/base.py']\n")
    code = textwrap.dedent("""\
        import sys
        {prelude}
        from mmengine.config import Config, utils
        utils.MODULE2PACKAGE['fakepkg'] = 'fakepkg'
        print(Config.fromfile(sys.argv[1]).model.depth)
        """)
    env = clean_env(PYTHONPATH=f'{site}{os.pathsep}{src}')
    plain = run([sys.executable, '-c', code.format(prelude=''), 'child.py'], tmp_path, env=env)
    assert plain.returncode != 0
    assert 'model-index.yml' in plain.stderr and 'No such file' in plain.stderr, plain.stderr[-2000:]
    env = clean_env(PYTHONPATH=os.pathsep.join([ROOT, str(site), str(src)]))  # + this checkout
    fixed = run([sys.executable, '-c', code.format(prelude='import amd_mm'), 'child.py'],
                tmp_path, env=env)
    assert fixed.returncode == 0, fixed.stderr[-2000:]
    assert fixed.stdout.split()[-1] == '3'


# -------------------------------------------------------------------- the wheel


@pytest.fixture(scope='module')
def wheel_install(tmp_path_factory):
    """Build amd_mm's wheel offline from a copy of the working tree (tracked and
    untracked, not ignored files; links kept) and install it into a scratch
    target folder."""
    work = tmp_path_factory.mktemp('wheel')
    files = run(['git', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'],
                ROOT).stdout.split('\0')
    source = work / 'src'
    for name in filter(None, files):
        path = osp.join(ROOT, name)
        if not osp.lexists(path):
            continue  # deleted in the working tree
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if osp.islink(path):
            os.symlink(os.readlink(path), target)
        else:
            shutil.copy2(path, target)
    dist = work / 'dist'
    built = run([sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation',
                 '--no-index', '-w', str(dist), str(source)], work)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    wheel = next(dist.glob('amd_mm-*.whl'))
    target = work / 'target'
    installed = run([sys.executable, '-m', 'pip', 'install', '--no-deps', '--no-index',
                     '--target', str(target), str(wheel)], work)
    assert installed.returncode == 0, installed.stderr[-3000:]
    return wheel, target


def test_wheel_carries_configs_tools_and_index(wheel_install):
    wheel, target = wheel_install
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ('amd_mm/.mim/model-index.yml', 'amd_mm/.mim/tools/train.py',
                 'amd_mm/.mim/tools/test.py', 'amd_mm/.mim/configs/amd/metafile.yml',
                 'amd_mm/.mim/configs/_base_/default_runtime.py',
                 'amd_mm/.mim/configs/amd/amd_vit-nano-p4_fashion-mnist.py',
                 'amd_mm/.mim/configs/amd/benchmarks/mmdet/'
                 'vitdet_mask-rcnn_vit-base-p16_lsj-100e_coco.py',
                 'amd_mm/__init__.py', 'amd_mm/compat.py', 'amd_mm/paths.py',
                 'amd_mm/.mim/checkpoints/students.json',
                 'amd_mm/.mim/checkpoints/mae_vit-tiny-p4_1xb64-8k_fashion-mnist_fp16.pth',
                 'amd_mm/.mim/checkpoints/amd_vit-nano-p4_1xb64-1k_fashion-mnist_seed0_fp16.pth'):
        assert name in names, name
    shipped = sum(info.file_size for info in zipfile.ZipFile(wheel).infolist()
                  if info.filename.startswith('amd_mm/.mim/checkpoints/'))
    assert shipped <= 20 * 2**20, f'the shipped checkpoints weigh {shipped / 2**20:.1f} MiB'
    assert not any('__pycache__' in n for n in names)
    mim = target / 'amd_mm' / '.mim'
    assert not osp.islink(mim / 'configs') and (mim / 'configs' / 'mae').is_dir()


def test_wheel_resolves_amd_mm_configs_from_scratch(wheel_install, scratch):
    _, target = wheel_install
    code = LOAD.format(prelude='import amd_mm; print("FILE", amd_mm.__file__)')
    for config in ('my_mae.py', 'my_vitdet.py'):
        out = run([sys.executable, '-c', code, config], scratch,
                  env=clean_env(PYTHONPATH=str(target)))
        assert out.returncode == 0, out.stderr[-3000:]
        lines = dict(line.split(' ', 1) for line in out.stdout.splitlines() if ' ' in line)
        assert lines['FILE'].startswith(str(target)), lines['FILE']
        # the base configs read are the wheel's copies, not the repository's
        assert str(target / 'amd_mm' / '.mim' / 'configs') in lines['TEXT'], lines['TEXT']
        assert f'{ROOT}/configs' not in lines['TEXT']


SHIPPED_MODELS = textwrap.dedent("""\
    import sys
    import torch
    import amd_mm
    from mmengine.config import Config
    from mmengine.registry import MODELS, init_default_scope
    from amd_mm.converters.io import load_checkpoint
    cfg = Config.fromfile(sys.argv[1])
    init_default_scope(cfg.default_scope)
    model = MODELS.build(cfg.model)
    model.init_weights()
    if cfg.model.type == 'MaskRCNN':  # timm names in ViTDet, mmpretrain's in the file
        path, loaded = cfg.student_checkpoint, model.backbone.blocks[0].attn.qkv.weight
    else:
        path, loaded = cfg.teacher_checkpoint, model.teacher.backbone.layers[0].attn.qkv.weight
    saved = load_checkpoint(path)
    stored = next(v for k, v in saved.get('state_dict', saved).items()
                  if k.endswith('layers.0.attn.qkv.weight'))
    assert torch.equal(loaded, stored.float()), 'weights differ from the shipped file'
    print('LOADED', amd_mm.paths.resolve(path))
    """)


@pytest.mark.parametrize('base', [
    'amd/amd_vit-nano-p4_fashion-mnist.py',
    'amd/benchmarks/mmdet/vitdet_mask-rcnn_vit-nano-p4_fashion-canvas.py'])
def test_wheel_builds_shipped_models_from_scratch(wheel_install, tmp_path, base):
    """The configs' relative checkpoint paths (the AMD nano teacher, the ViTDet
    canvas student) resolve to the wheel's own copies from an unrelated folder."""
    pytest.importorskip('mmdet')
    _, target = wheel_install
    (tmp_path / 'my_cfg.py').write_text(f"_base_ = ['amd_mm::{base}']\n")
    out = run([sys.executable, '-c', SHIPPED_MODELS, 'my_cfg.py'], tmp_path,
              env=clean_env(PYTHONPATH=str(target)))
    assert out.returncode == 0, out.stderr[-3000:]
    loaded = out.stdout.split('LOADED ')[-1].strip()
    assert loaded.startswith(str(target / 'amd_mm' / '.mim' / 'checkpoints')), out.stdout


def test_wheel_works_with_mim_search(wheel_install):
    if not osp.exists(MIM):
        pytest.skip('openmim is not installed')
    _, target = wheel_install
    out = run([MIM, 'search', 'amd_mm', '--model', 'amd'], target,
              env=clean_env(PYTHONPATH=str(target)))
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert 'amd_vit-nano-p4_fashion-mnist' in out.stdout


# ------------------------------------------------------------ mim, installed


@pytest.mark.skipif(not osp.exists(MIM), reason='openmim is not installed')
def test_mim_search_lists_the_model_zoo():
    out = run([MIM, 'search', 'amd_mm'], ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    for name in ('amd_vit-nano-p4_fashion-mnist', 'dmae_vit-b_in1k', 'dbot_vit-l_in1k',
                 'mae_vit-nano-p4_fashion-mnist'):
        assert name in out.stdout


@pytest.mark.skipif(not osp.exists(MIM), reason='openmim is not installed')
def test_mim_train_and_test(tmp_path, fashion_root):
    """`mim train amd_mm` and `mim test amd_mm`, configs given by file name, run
    from a folder outside the repository."""
    work = tmp_path / 'ft'
    common = ['--cfg-options', f'train_dataloader.dataset.data_root={fashion_root}',
              f'test_dataloader.dataset.data_root={fashion_root}',
              f'val_dataloader.dataset.data_root={fashion_root}',
              'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
              'test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False',
              'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False',
              'test_dataloader.dataset.num_samples=500', 'train_dataloader.batch_size=16']
    train = run([MIM, 'train', 'amd_mm', 'vit-nano-p4_ft-fashion-mnist.py', '--work-dir', str(work),
                 *common, 'train_cfg.max_iters=4', 'param_scheduler.warmup=2',
                 'model.backbone.init_cfg=None'], tmp_path)
    assert train.returncode == 0, train.stdout[-3000:] + train.stderr[-3000:]
    assert 'Training finished successfully' in train.stdout
    checkpoint = work / 'iter_4.pth'
    assert checkpoint.is_file()
    test = run([MIM, 'test', 'amd_mm', 'vit-nano-p4_ft-fashion-mnist.py', '--checkpoint',
                str(checkpoint), '--work-dir', str(tmp_path / 'test'), *common], tmp_path)
    assert test.returncode == 0, test.stdout[-3000:] + test.stderr[-3000:]
    assert 'accuracy/top1' in test.stdout + test.stderr


SCOPE_CHECK = textwrap.dedent("""\
    import sys
    import amd_mm, torch
    from mmengine.config import Config
    from mmengine.registry import PARAM_SCHEDULERS, init_default_scope
    if sys.argv[2] == 'stamped':  # MMEngine's own rule: _scope_='amd_mm' on the base's dicts
        fixed = Config._get_cfg_path
        def stamped(cfg_path, filename):
            path, scope = fixed(cfg_path, filename)
            return (path, 'amd_mm') if cfg_path.startswith('amd_mm::') else (path, scope)
        Config._get_cfg_path = staticmethod(stamped)
    cfg = Config.fromfile(sys.argv[1])
    init_default_scope(cfg.default_scope)
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    PARAM_SCHEDULERS.build(dict(cfg.param_scheduler, end=700), default_args=dict(optimizer=optimizer))
    print('built', cfg.param_scheduler.get('_scope_'))
    """)


def test_amd_mm_bases_keep_their_own_scope(scratch):
    """Why the fix gives amd_mm:: bases no _scope_: with MMEngine's stamp the
    Runner builds amd_mm's scheduler (and dataset, ...) in a scope that has no
    registries and falls back to MMEngine's root, where they do not exist."""
    stamped = run([sys.executable, '-c', SCOPE_CHECK, 'my_mae.py', 'stamped'], scratch,
                  env=clean_env())
    assert stamped.returncode != 0
    assert 'is not in the mmengine::parameter scheduler registry' in stamped.stderr
    fixed = run([sys.executable, '-c', SCOPE_CHECK, 'my_mae.py', 'fixed'], scratch,
                env=clean_env())
    assert fixed.returncode == 0, fixed.stderr[-2000:]
    assert fixed.stdout.split()[-2:] == ['built', 'None']


# ------------------------------- stock entry points (mim, mmdet's tools/train.py)

CANVAS_LAZY = textwrap.dedent("""\
    from mmengine.config import read_base

    with read_base():
        from amd_mm.configs.amd.benchmarks.mmdet.vitdet_mask_rcnn_vit_nano_p4_fashion_canvas \
            import *

    data_root = {root!r}
    train_dataloader.update(batch_size=2)
    train_dataloader.dataset.update(data_root=data_root)
    val_dataloader.dataset.update(data_root=data_root)
    test_dataloader.dataset.update(data_root=data_root)
    val_evaluator.update(ann_file=data_root + 'annotations/instances_val.json')
    test_evaluator.update(ann_file=data_root + 'annotations/instances_test.json')
    train_cfg.update(max_iters=2)
    default_hooks.checkpoint.update(interval=2)
    """)


@pytest.fixture(scope='module')
def small_canvases(tmp_path_factory, fashion_root):
    out = tmp_path_factory.mktemp('canvases')
    made = run([sys.executable, osp.join(ROOT, 'tools', 'data', 'fashion_canvases.py'),
                '--out', str(out), '--fashion', fashion_root,
                '--train', '8', '--val', '4', '--test', '4'], ROOT)
    assert made.returncode == 0, made.stderr[-2000:]
    return next(out.glob('v*')).as_posix() + '/'


@pytest.mark.slow  # ~100 s on 2 CPU cores: two MMDetection start-ups
@pytest.mark.skipif(not osp.exists(MIM), reason='openmim is not installed')
def test_stock_mim_train_and_test_with_a_read_base_config(wheel_install, small_canvases,
                                                          tmp_path):
    """`mim train mmdet` / `mim test mmdet` run MMDetection's own scripts, which
    never import amd_mm before they parse the config: a read_base() config of
    amd_mm.configs works there (an ``amd_mm::`` base cannot, see below)."""
    pytest.importorskip('mmdet')
    _, target = wheel_install
    (tmp_path / 'my_det.py').write_text(CANVAS_LAZY.format(root=small_canvases))
    env = clean_env(PYTHONPATH=str(target))
    train = run([MIM, 'train', 'mmdet', 'my_det.py', '--work-dir', 'work'], tmp_path, env=env)
    assert train.returncode == 0, train.stdout[-3000:] + train.stderr[-3000:]
    assert (tmp_path / 'work' / 'iter_2.pth').is_file()
    test = run([MIM, 'test', 'mmdet', 'my_det.py', '--checkpoint', 'work/iter_2.pth',
                '--work-dir', 'test'], tmp_path, env=env)
    assert test.returncode == 0, test.stdout[-3000:] + test.stderr[-3000:]
    assert 'coco/bbox_mAP' in test.stdout + test.stderr


@pytest.mark.slow  # ~120 s on 2 CPU cores: three MMDetection start-ups
def test_stock_train_scripts_with_amd_mm_bases(wheel_install, small_canvases, tmp_path):
    """MMDetection's own tools/train.py: a read_base() config trains; an
    ``amd_mm::`` base stops in MMEngine (it resolves ``_base_`` before any
    amd_mm code can run) and trains through ``python -m amd_mm.run mmdet:train``."""
    mmdet = pytest.importorskip('mmdet')
    _, target = wheel_install
    script = osp.join(osp.dirname(mmdet.__file__), '.mim', 'tools', 'train.py')
    env = clean_env(PYTHONPATH=str(target))
    (tmp_path / 'my_det.py').write_text(CANVAS_LAZY.format(root=small_canvases))
    lazy = run([sys.executable, script, 'my_det.py', '--work-dir', 'lazy'], tmp_path, env=env)
    assert lazy.returncode == 0, lazy.stdout[-3000:] + lazy.stderr[-3000:]
    assert (tmp_path / 'lazy' / 'iter_2.pth').is_file()

    root = small_canvases
    (tmp_path / 'my_dict.py').write_text(textwrap.dedent(f"""\
        _base_ = ['amd_mm::amd/benchmarks/mmdet/vitdet_mask-rcnn_vit-nano-p4_fashion-canvas.py']
        data_root = {root!r}
        train_dataloader = dict(batch_size=2, dataset=dict(data_root=data_root))
        val_dataloader = dict(dataset=dict(data_root=data_root))
        test_dataloader = dict(dataset=dict(data_root=data_root))
        val_evaluator = dict(ann_file=data_root + 'annotations/instances_val.json')
        test_evaluator = dict(ann_file=data_root + 'annotations/instances_test.json')
        train_cfg = dict(max_iters=2)
        default_hooks = dict(checkpoint=dict(interval=2))
        """))
    stock = run([sys.executable, script, 'my_dict.py', '--work-dir', 'stock'], tmp_path, env=env)
    assert stock.returncode != 0
    assert 'mmengine does not support to load amd_mm config' in stock.stderr
    wrapped = run([sys.executable, '-m', 'amd_mm.run', 'mmdet:train', 'my_dict.py',
                   '--work-dir', 'wrapped'], tmp_path, env=env)
    assert wrapped.returncode == 0, wrapped.stdout[-3000:] + wrapped.stderr[-3000:]
    assert (tmp_path / 'wrapped' / 'iter_2.pth').is_file()
