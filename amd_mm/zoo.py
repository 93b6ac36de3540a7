"""The model zoo the package ships, read from its ``model-index.yml`` (the
metafiles it imports), and a shipped checkpoint with its config copied into a
folder::

    python -m amd_mm.zoo list
    python -m amd_mm.zoo download --config ID [ID ...] --dest DIR

``download`` takes ``mim download``'s arguments. ``mim download amd_mm``
itself cannot do it: openmim 0.3.9 fetches ``Weights`` with ``requests``
(http(s) only: a path or a ``file://`` URL stops with a traceback), and an
entry without weights stops with ``AttributeError``. amd_mm's weights ship
inside the package (``amd_mm/.mim/checkpoints``, a few MB), so they are
copied and checked against the entry's ``SHA256``.

An entry's paths (``Config``, ``Weights``) are relative to ``amd_mm/.mim``,
as ``mim`` reads ``Config``. ``Metadata['Config Options']`` are the
``--cfg-options`` the shipped weights or the results were made with (e.g. the
demo's shorter schedule and seed); the downloaded config has them applied.
"""
import argparse
import os
import os.path as osp
import shutil
import sys

import yaml

from .converters.io import file_sha256 as sha256
from .paths import PACKAGE_DIR

MIM_DIR = osp.join(PACKAGE_DIR, '.mim')


class ZooError(Exception):
    """A request the zoo cannot serve; its message is the one line to print."""


def entries() -> dict:
    """Every model of the index by name, in index order."""
    with open(osp.join(MIM_DIR, 'model-index.yml')) as f:
        index = yaml.safe_load(f)
    models = {}
    for metafile in index['Import']:
        with open(osp.join(MIM_DIR, metafile)) as f:
            for model in yaml.safe_load(f)['Models']:
                models[model['Name']] = model
    return models


def config_of(entry: dict):
    """The entry's config with its ``Config Options`` applied."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(MIM_DIR, entry['Config']))
    options = (entry.get('Metadata') or {}).get('Config Options')
    if options:
        cfg.merge_from_dict(options)
    return cfg


def weights_of(entry: dict) -> str:
    """The entry's shipped checkpoint, checked against its ``SHA256``."""
    name = entry['Name']
    if not entry.get('Weights'):
        raise ZooError(f'{name}: no shipped weights (a training recipe: its config is '
                       f'amd_mm::{entry["Config"].partition("/")[2]})')
    path = osp.join(MIM_DIR, entry['Weights'])
    if not osp.isfile(path):
        raise ZooError(f'{name}: its weights {path} are missing from the installed package')
    actual = sha256(path)
    if actual != entry.get('SHA256'):
        raise ZooError(f'{name}: {path} has SHA256 {actual}, the index says {entry.get("SHA256")}')
    return path


def download(names, dest: str) -> list:
    """Copy each entry's weights and its config (``DEST/NAME.py``) into
    ``dest``; returns the copied checkpoint paths."""
    models = entries()
    unknown = [name for name in names if name not in models]
    if unknown:
        raise ZooError(f'not in amd_mm\'s model index: {", ".join(unknown)} '
                       '(`python -m amd_mm.zoo list` lists the names)')
    sources = [weights_of(models[name]) for name in names]  # all checked before any copy
    os.makedirs(dest, exist_ok=True)
    copied = []
    for name, source in zip(names, sources):
        target = osp.join(dest, osp.basename(source))
        shutil.copyfile(source, target)
        config_of(models[name]).dump(osp.join(dest, f'{name}.py'))
        print(f'{name}: {target} and {osp.join(dest, name + ".py")}')
        copied.append(target)
    return copied


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog='python -m amd_mm.zoo', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest='command', required=True)
    commands.add_parser('list', help='the index: name, shipped weights, config')
    get = commands.add_parser('download', help='copy shipped weights and config into --dest')
    get.add_argument('--config', dest='names', nargs='+', required=True, metavar='ID')
    get.add_argument('--dest', default='.', help='folder to copy into (default: here)')
    args = parser.parse_args(argv)
    if args.command == 'list':
        for name, entry in entries().items():
            print(f'{name:50s} {"weights" if entry.get("Weights") else "-      "} '
                  f'{entry["Config"]}')
        return 0
    try:
        download(args.names, args.dest)
    except ZooError as error:
        print(f'error: {error}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
