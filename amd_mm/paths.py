"""Where a relative path the project ships (``checkpoints/...``,
``configs/...``, the demos' ``data/...``) points, from any folder.

One rule, used by every amd_mm reader of such a path: a relative path is
taken from the current folder when it exists there, otherwise from the
project root, the folder that holds the package's ``configs/``,
``checkpoints/`` and ``model-index.yml``:

* a source checkout (editable install): the repository root (``amd_mm/.mim/``
  holds links to it), so ``data/...`` and ``checkpoints/...`` work from any
  folder;
* an installed wheel: ``<site-packages>/amd_mm/.mim/``, which carries the
  shipped checkpoints (no data: relative data roots stay relative to the
  current folder there).

An absolute path, or one found nowhere, is returned unchanged, so the
reader's own "does not exist" error names what the config said.
"""
import os.path as osp

PACKAGE_DIR = osp.dirname(osp.realpath(__file__))
# the folder above the package: the checkout for an editable install (real
# path: an install may reach the package through a link)
CHECKOUT = osp.dirname(PACKAGE_DIR)


def project_root() -> str:
    """The folder the shipped relative paths are relative to (see above)."""
    return osp.dirname(osp.realpath(osp.join(PACKAGE_DIR, '.mim', 'model-index.yml')))


def resolve(path):
    """``path`` from the current folder if it exists there, else from
    :func:`project_root` if it exists there, else unchanged."""
    if not isinstance(path, str) or not path or osp.isabs(path) or osp.exists(path):
        return path
    shipped = osp.join(project_root(), path)
    return shipped if osp.exists(shipped) else path
