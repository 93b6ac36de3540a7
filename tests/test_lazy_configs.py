"""amd_mm.configs: every recipe as a pure-Python (``read_base``) config,
inherited by a user's lazy config, equal to its dict-style twin (values,
and the model it builds: state_dict keys and shapes)."""
import copy
import glob
import os.path as osp
import textwrap

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope

from amd_mm.extras import MissingExtraError

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..'))
RECIPES = sorted(osp.relpath(path, osp.join(ROOT, 'configs'))
                 for path in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
                 if '_base_' not in path)


def module_of(recipe):
    return 'amd_mm.configs.' + recipe[:-3].replace('-', '_').replace('/', '.')


def test_every_recipe_has_its_module_and_no_more():
    modules = {module_of(recipe) for recipe in RECIPES}
    found = {'amd_mm.' + osp.relpath(path, osp.join(ROOT, 'amd_mm'))[:-3].replace('/', '.')
             for path in glob.glob(osp.join(ROOT, 'amd_mm', 'configs', '**', '*.py'),
                                   recursive=True) if not path.endswith('__init__.py')}
    assert found == modules


def user_config(tmp_path, recipe, extra=''):
    path = tmp_path / 'my_lazy_config.py'
    path.write_text(textwrap.dedent(f"""\
        from mmengine.config import read_base

        with read_base():
            from {module_of(recipe)} import *
        """) + extra)
    return str(path)


def shapes(cfg):
    """state_dict shapes of the config's model, built on the meta device
    (no memory, no init; paper teachers' checkpoints are placeholders), or
    on the CPU for a model whose constructor reads tensor values (mmaction's
    ViT, amd_mm's decoder: ``.item()``, ``.tolist()``)."""
    model_cfg = copy.deepcopy(cfg.model)  # a ConfigDict, as the Runner passes it
    if isinstance(model_cfg.get('teacher'), dict):
        if model_cfg.teacher.get('type') == 'HFTeacher':
            # built only from a local save_pretrained folder: compare the student
            model_cfg = model_cfg.backbone
        else:
            model_cfg['teacher']['checkpoint'] = None
    init_default_scope(cfg.default_scope)
    try:
        with torch.device('meta'):
            model = MODELS.build(model_cfg)
    except (RuntimeError, NotImplementedError) as error:
        if 'meta' not in str(error):
            raise
        model = MODELS.build(model_cfg)
    return {key: tuple(value.shape) for key, value in model.state_dict().items()}


FULL_SIZE = [recipe for recipe in RECIPES
             if not any(size in recipe for size in ('nano', 'micro', 'tiny'))]


def load_both(tmp_path, recipe):
    try:
        twin = Config.fromfile(osp.join(ROOT, 'configs', recipe))
    except MissingExtraError as error:
        pytest.skip(str(error))
    return Config.fromfile(user_config(tmp_path, recipe)), twin


@pytest.mark.parametrize('recipe', RECIPES)
def test_lazy_config_equals_its_dict_twin(tmp_path, recipe):
    lazy, twin = load_both(tmp_path, recipe)
    assert lazy.filename.endswith('my_lazy_config.py')  # read in lazy-import mode
    lazy_values = lazy.to_dict()
    for key, value in twin.to_dict().items():  # dataset, schedule, model, hooks, ...
        assert lazy_values[key] == value, key
    if recipe not in FULL_SIZE:
        assert shapes(lazy) == shapes(twin)


@pytest.mark.slow
@pytest.mark.parametrize('recipe', FULL_SIZE)
def test_full_size_lazy_model_equals_its_dict_twin(tmp_path, recipe):
    """ViT-B/L students and teachers: ~10 s each on 2 CPU cores."""
    lazy, twin = load_both(tmp_path, recipe)
    assert shapes(lazy) == shapes(twin)


def test_user_lazy_config_changes_apply(tmp_path):
    """A user's lazy config: the inherited values, the user's changes on top."""
    path = user_config(tmp_path, 'amd/amd_vit-nano-p4_fashion-mnist.py',
                       'train_cfg.update(max_iters=7)\n'
                       'model.backbone.arch.update(embed_dims=32)\n'
                       'model.neck.update(student_dims=32)\n')
    cfg = Config.fromfile(path)
    assert cfg.train_cfg.max_iters == 7 and cfg.model.type == 'AMD'
    init_default_scope(cfg.default_scope)
    model = MODELS.build(cfg.model)  # the shipped teacher, found by amd_mm.paths
    assert model.backbone.embed_dims == 32 and model.teacher.embed_dims == 128
