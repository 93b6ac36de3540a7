"""amd_mm's build: metadata lives in setup.cfg; this file only puts the
repository's ``configs/``, ``tools/``, ``checkpoints/`` (the shipped teachers
and students, a few MB) and ``model-index.yml`` into the package as
``amd_mm/.mim/`` (what ``mim``, MMEngine's ``amd_mm::`` config paths and
:mod:`amd_mm.paths` read), the way OpenMMLab packages do it.

* In the repository (and so in an editable install) ``amd_mm/.mim/`` holds
  four committed symbolic links to those originals: nothing is duplicated.
* A wheel (``pip install .``, ``pip wheel .``) gets real copies: ``build_py``
  replaces the links with the files they point to, and an sdist carries the
  originals (MANIFEST.in), from which the same copies are made.
"""
import os
import os.path as osp
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = osp.dirname(osp.abspath(__file__))
MIM_ITEMS = ('configs', 'tools', 'checkpoints', 'model-index.yml')
SKIP = shutil.ignore_patterns('__pycache__', '*.pyc', '*.egg-info')


class BuildPyWithMim(build_py):
    """build_py that also writes ``amd_mm/.mim/{configs,tools,checkpoints,model-index.yml}``
    into the build directory as copies of the repository's originals."""

    def run(self):
        super().run()
        if getattr(self, 'editable_mode', False):
            return  # an editable install reads the committed links in place
        target = osp.join(self.build_lib, 'amd_mm', '.mim')
        if osp.lexists(target):
            shutil.rmtree(target) if osp.isdir(target) and not osp.islink(target) \
                else os.remove(target)
        os.makedirs(target)
        for item in MIM_ITEMS:
            source = osp.join(ROOT, item)
            if not osp.exists(source):
                raise FileNotFoundError(f'{source} is missing: cannot build amd_mm/.mim')
            if osp.isdir(source):
                shutil.copytree(source, osp.join(target, item), ignore=SKIP)
            else:
                shutil.copyfile(source, osp.join(target, item))


setup(cmdclass={'build_py': BuildPyWithMim})
