"""Run another OpenMMLab package's script with amd_mm's fixes applied::

    python -m amd_mm.run mmdet:train my_config.py --work-dir work_dirs/x
    python -m amd_mm.run PATH/TO/train.py my_config.py
    torchrun --nproc_per_node 8 -m amd_mm.run mmaction2:train CFG --launcher pytorch

``PKG:train`` / ``PKG:test`` is the package's installed ``.mim/tools/train.py``
(or ``test.py``); anything else is a path to a script. Why: MMEngine resolves a
config's ``_base_`` before it reads ``custom_imports``, so a config that
inherits ``amd_mm::...`` needs amd_mm imported *before* the script parses it,
which a downstream package's own ``tools/train.py`` does not do.
"""
import os.path as osp
import runpy
import sys

_MODULES = {'mmaction2': 'mmaction', 'mmsegmentation': 'mmseg', 'mmpretrain': 'mmpretrain'}


def resolve_script(spec):
    if osp.isfile(spec) or ':' not in spec:
        return spec
    package, _, tool = spec.partition(':')
    module = _MODULES.get(package, package)
    import importlib.util
    found = importlib.util.find_spec(module)
    if found is None or found.origin is None:
        from .extras import EXTRAS, extra_message
        if module in EXTRAS:
            sys.exit(extra_message(module, needed_by=spec))
        sys.exit(f'{spec}: package {module!r} is not installed')
    root = osp.dirname(found.origin)
    for candidate in (osp.join(root, '.mim', 'tools', f'{tool}.py'),
                      osp.join(root, '..', 'tools', f'{tool}.py')):
        if osp.isfile(candidate):
            return osp.abspath(candidate)
    sys.exit(f'{spec}: no tools/{tool}.py in the installed {module} ({root})')


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ('-h', '--help'):
        print(__doc__)
        return 0 if argv else 2
    import amd_mm  # noqa: F401  (compat fixes: amd_mm:: configs, pinned stack)
    script = resolve_script(argv[0])
    sys.argv = [script] + list(argv[1:])
    sys.path.insert(0, osp.dirname(osp.abspath(script)))
    runpy.run_path(script, run_name='__main__')
    return 0


if __name__ == '__main__':
    sys.exit(main())
