"""mmpretrain's ImageNet with the ``masking`` field, surviving bad images."""
from mmpretrain.datasets import ImageNet

from ..registry import DATASETS
from .skipping import SkipUnreadableSamples
from .transforms.asymmetric_masking import MaskingFieldMixin

# What an unreadable image raises in the pipeline: PIL's UnidentifiedImageError
# and a missing file are OSErrors; mmcv's LoadImageFromFile asserts
# ``failed to load image`` when cv2 cannot decode the bytes.
IMAGE_ERRORS = (OSError, ValueError, EOFError, AssertionError)


@DATASETS.register_module()
class MaskedImageNet(SkipUnreadableSamples, MaskingFieldMixin, ImageNet):
    """``mmpretrain.datasets.ImageNet`` (same arguments and layout) whose
    mask transform is the named ``masking`` field (see
    :class:`~amd_mm.datasets.transforms.MaskingFieldMixin`). A file that is
    not a readable image is skipped and logged, ``skipped image <path>:
    <reason> (<n> skipped so far)``, as :class:`SkippingVideoDataset` skips a
    bad video (:class:`~amd_mm.datasets.skipping.SkipUnreadableSamples`)."""
    skip_errors = IMAGE_ERRORS
    sample_kind = 'image'
    path_key = 'img_path'
