"""MMAction2's ``VideoDataset`` that survives bad videos."""
import os.path as osp

from mmaction.datasets import VideoDataset

from ..paths import resolve
from ..registry import DATASETS
from .skipping import SkipUnreadableSamples
from .transforms.asymmetric_masking import MaskingFieldMixin

# What a corrupt, unreadable, missing or too-short video raises in the
# pipeline (decord: RuntimeError for a file it cannot open, DECORDError for
# one it cannot index or decode; FileNotFoundError an OSError;
# CheckVideoLength's error a ValueError). Programming errors (TypeError,
# KeyError, ...) still stop the run.
VIDEO_ERRORS = (OSError, RuntimeError, ValueError, EOFError)
try:  # DECORDError is no RuntimeError: a clip truncated after its header raised it uncaught
    from decord._ffi.base import DECORDError
    VIDEO_ERRORS += (DECORDError,)
except ImportError:  # no decord: nothing of it to catch
    pass


@DATASETS.register_module()
class SkippingVideoDataset(SkipUnreadableSamples, MaskingFieldMixin, VideoDataset):
    """``mmaction.VideoDataset`` (annotation lines ``path label``) for
    pre-training on large, imperfect video collections.

    When the pipeline fails on a video (corrupt or truncated file, not a
    video, missing, or shorter than
    :class:`~amd_mm.datasets.transforms.CheckVideoLength` allows) the warning
    ``skipped video <path>: <reason> (<n> skipped so far)`` is logged and
    another random video is drawn (:class:`SkipUnreadableSamples`; in
    ``test_mode`` the error is raised instead).

    Repeated augmentation (official ``--num_sample 4``) is the pipeline's
    job: :class:`~amd_mm.datasets.transforms.RepeatedViews` decodes a video
    once and gives each copy its own crop and mask.

    Args:
        masking (dict, optional): the mask transform put at the pipeline's
            ``'masking'`` step(s) (:class:`MaskingFieldMixin`).
        **kwargs: the arguments of ``mmaction.datasets.VideoDataset``
            (``ann_file``, ``data_prefix=dict(video=...)``, ``pipeline``).
    """

    skip_errors = VIDEO_ERRORS
    sample_kind = 'video'
    path_key = 'filename'

    def source(self) -> str:
        return f'SkippingVideoDataset.ann_file={self.ann_file!r}'

    def __init__(self, *args, **kwargs):
        if not kwargs.get('data_root'):  # shipped relative paths work from any folder
            if 'ann_file' in kwargs:
                kwargs['ann_file'] = resolve(kwargs['ann_file'])
            prefix = dict(kwargs.get('data_prefix') or {})
            if prefix.get('video'):
                kwargs['data_prefix'] = dict(prefix, video=resolve(prefix['video']))
        super().__init__(*args, **kwargs)

    def load_data_list(self):
        """``path label`` lines (``path`` alone for unlabelled clips); a
        malformed line raises naming the file and the line number, an
        annotation file without a clip raises naming the file."""
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(f'SkippingVideoDataset.ann_file={self.ann_file!r} does '
                                    'not exist')
        data_list = []
        with open(self.ann_file) as f:
            for number, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                fields = line.strip().split(self.delimiter)
                if self.multi_class or not 1 <= len(fields) <= 2:
                    if self.multi_class:
                        return super().load_data_list()
                    raise ValueError(
                        f'{self.ann_file}, line {number}: expected "path label" (2 fields '
                        f'separated by {self.delimiter!r}), got {len(fields)}: {line.strip()!r}')
                label = -1
                if len(fields) == 2:
                    try:
                        label = int(fields[1])
                    except ValueError:
                        raise ValueError(f'{self.ann_file}, line {number}: the label '
                                         f'{fields[1]!r} is not an int') from None
                filename = fields[0]
                if self.data_prefix.get('video') is not None:
                    filename = osp.join(self.data_prefix['video'], filename)
                data_list.append(dict(filename=filename, label=label))
        if not data_list:
            raise ValueError(f'SkippingVideoDataset.ann_file={self.ann_file!r} lists no video')
        return data_list
