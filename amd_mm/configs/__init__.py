"""amd_mm's recipes as MMEngine pure-Python (``read_base``) configs.

Every recipe of ``configs/`` (dict style, ``_base_``) has a module here, its
path with ``-`` spelled ``_``: ``configs/amd/vit-b_in1k.py`` is
``amd_mm.configs.amd.vit_b_in1k``. A user's own lazy config inherits it::

    from mmengine.config import read_base

    with read_base():
        from amd_mm.configs.amd.amd_vit_nano_p4_fashion_mnist import *

    train_cfg.update(max_iters=500)

Each module loads its dict-style twin (``Config.fromfile``, which also
imports amd_mm through the twin's ``custom_imports``) and exposes its
variables, so a value is stated once, in ``configs/``. MMEngine refuses to mix
the two styles in one inheritance chain; this is the bridge. Module types stay
registry names (``type='AMD'``) resolved in the config's ``default_scope``.
"""
