"""mmpretrain's ImageNet with the ``masking`` field."""
from mmpretrain.datasets import ImageNet

from ..registry import DATASETS
from .transforms.asymmetric_masking import MaskingFieldMixin


@DATASETS.register_module()
class MaskedImageNet(MaskingFieldMixin, ImageNet):
    """``mmpretrain.datasets.ImageNet`` (same arguments and layout) whose
    mask transform is the named ``masking`` field (see
    :class:`~amd_mm.datasets.transforms.MaskingFieldMixin`)."""
