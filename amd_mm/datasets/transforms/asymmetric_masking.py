"""Per-sample student / teacher / diff token masks, and the dataset field
that configures them by key."""
import copy
import math
import numbers
from typing import Optional, Sequence, Tuple

import numpy as np
from mmcv.transforms import BaseTransform

from ...registry import TRANSFORMS


def num_masked(ratio: float, num_tokens: int) -> int:
    """Rounding rule: ``floor(ratio * N)`` tokens are masked (with a 1e-6
    tolerance against float error), the rest are visible. This is AMD's
    ``int(r*N)`` (20 of 196 visible at 0.9) and gives DMAE's "10 patches at
    95%, 4 at 98%" of a 14x14 grid."""
    return int(math.floor(ratio * num_tokens + 1e-6))


def check_ratios(student_mask_ratio: float, teacher_mask_ratio: float,
                 tokens_per_slot: int, owner: str = 'AsymmetricMasking'):
    for field, value in (('student_mask_ratio', student_mask_ratio),
                         ('teacher_mask_ratio', teacher_mask_ratio)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f'{owner}.{field} must be a number in [0, 1), got {value!r} '
                            f'({type(value).__name__})')
        if not 0 <= value < 1:
            raise ValueError(f'{owner}.{field} must be in [0, 1), got {value}')
    if teacher_mask_ratio > student_mask_ratio:
        raise ValueError(
            f'{owner}.teacher_mask_ratio={teacher_mask_ratio} exceeds '
            f'student_mask_ratio={student_mask_ratio}: the teacher must see '
            f'at least what the student sees')
    if tokens_per_slot - num_masked(student_mask_ratio, tokens_per_slot) < 1:
        raise ValueError(
            f'{owner}.student_mask_ratio={student_mask_ratio} leaves no '
            f'visible token out of {tokens_per_slot}')


@TRANSFORMS.register_module()
class AsymmetricMasking(BaseTransform):
    """Masks for masked distillation: what the student sees, and the extra
    ("diff") tokens only the teacher sees.

    Per sample, one random permutation of the ``H*W`` tokens of a frame slot
    is cut into: student-visible | diff | hidden from both. For video
    (``input_size=(T, H, W)``) that per-slot pattern is tiled over all ``T``
    slots (tube masking, AMD's ``t_consist``). Counts follow
    :func:`num_masked` and are the same for every sample, so batches stack.

    ``teacher_mask_ratio=0`` gives a teacher that sees everything (dBOT);
    ``teacher_mask_ratio == student_mask_ratio`` gives symmetric masking
    (DMAE, MAE) with no diff tokens. (Official AMD's generator breaks at
    ``teacher_mask_ratio=0`` and silently raises the student ratio when
    ``teacher > student``; here the first works and the second is an error.)

    Added keys (flat bool arrays over ``T*H*W`` tokens, raster order):
    ``mask`` (hidden from the student; packed by ``PackInputs`` by default),
    ``diff_mask`` (teacher-only; add it to ``PackInputs.algorithm_keys``)
    and ``teacher_mask`` (hidden from the teacher; for pictures and checks,
    the model does not read it).

    In a config it is usually the dataset's ``masking`` field (see
    :class:`MaskingFieldMixin`), so its ratios are set by key, e.g.
    ``train_dataloader.dataset.masking.student_mask_ratio=0.9``.

    Args:
        input_size (Sequence[int]): token grid, (H, W) or (T, H, W).
        student_mask_ratio (float): in [0, 1).
        teacher_mask_ratio (float): in [0, student_mask_ratio].
    """

    def __init__(self,
                 input_size: Optional[Sequence[int]] = None,
                 student_mask_ratio: float = 0.75,
                 teacher_mask_ratio: float = 0.5):
        if input_size is None:
            raise ValueError('AsymmetricMasking.input_size (the token grid) is not set: '
                             'give it in the dataset\'s `masking` field')
        size = tuple(int(s) for s in (input_size if isinstance(input_size, Sequence)
                                      else (input_size, input_size)))
        if len(size) not in (2, 3) or min(size) < 1:
            raise ValueError('AsymmetricMasking.input_size must be (H, W) or '
                             f'(T, H, W) of positive ints, got {input_size}')
        self.input_size = size if len(size) == 3 else (1, ) + size
        self.tokens_per_slot = self.input_size[1] * self.input_size[2]
        check_ratios(student_mask_ratio, teacher_mask_ratio, self.tokens_per_slot)
        self.student_mask_ratio = student_mask_ratio
        self.teacher_mask_ratio = teacher_mask_ratio
        per_slot = self.tokens_per_slot
        self.num_visible = per_slot - num_masked(student_mask_ratio, per_slot)
        self.num_teacher_visible = per_slot - num_masked(teacher_mask_ratio, per_slot)

    @property
    def counts(self) -> Tuple[int, int, int]:
        """(student-visible, diff, hidden-from-both) tokens per sample."""
        slots = self.input_size[0]
        vis, tvis = self.num_visible, self.num_teacher_visible
        return vis * slots, (tvis - vis) * slots, (self.tokens_per_slot - tvis) * slots

    def sample(self, rng=np.random) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(student_mask, diff_mask, teacher_mask), each (T*H*W,) bool."""
        rank = np.empty(self.tokens_per_slot, dtype=np.int64)
        rank[rng.permutation(self.tokens_per_slot)] = np.arange(self.tokens_per_slot)
        rank = np.tile(rank, self.input_size[0])
        student_mask = rank >= self.num_visible
        teacher_mask = rank >= self.num_teacher_visible
        return student_mask, student_mask & ~teacher_mask, teacher_mask

    def transform(self, results: dict) -> dict:
        student_mask, diff_mask, teacher_mask = self.sample()
        results['mask'] = student_mask
        results['diff_mask'] = diff_mask
        results['teacher_mask'] = teacher_mask
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(input_size={self.input_size}, '
                f'student_mask_ratio={self.student_mask_ratio}, '
                f'teacher_mask_ratio={self.teacher_mask_ratio})')


MASKING_PLACEHOLDER = 'masking'


def _fill(node, masking: dict, found: list):
    if node == MASKING_PLACEHOLDER:
        found.append(True)
        return copy.deepcopy(masking)
    if isinstance(node, dict):
        return {k: _fill(v, masking, found) for k, v in node.items()}
    if isinstance(node, (list, tuple)):
        return type(node)(_fill(v, masking, found) for v in node)
    return node


def fill_masking(pipeline: Sequence, masking: Optional[dict]) -> list:
    """``pipeline`` with every ``'masking'`` placeholder (nested ones, e.g. in
    :class:`RepeatedViews`, included) replaced by the ``masking`` transform
    config.

    Raises:
        ValueError: a placeholder without a ``masking`` config, or a
            ``masking`` config without a placeholder to put it.
    """
    found: list = []
    if masking is None:
        _fill(list(pipeline), {}, found)
        if found:
            raise ValueError("the pipeline has a 'masking' step but the dataset has no "
                             '`masking` field (e.g. masking=dict(type='
                             "'AsymmetricMasking', input_size=..., ...))")
        return list(pipeline)
    filled = _fill(list(pipeline), dict(masking), found)
    if not found:
        raise ValueError("the dataset's `masking` field is set but its pipeline has "
                         "no 'masking' step to say where masks are drawn")
    return filled


class MaskingFieldMixin:
    """The ``masking`` field of a pre-training dataset: the config of the
    mask transform, put at the ``'masking'`` step(s) of its pipeline.

    The pipeline says *where* masks are drawn, the field *which* masks, so a
    mask ratio is one key (``train_dataloader.dataset.masking.
    teacher_mask_ratio``) instead of a pipeline index, and a child config
    changes it with ``train_dataloader = dict(dataset=dict(masking=dict(
    student_mask_ratio=0.9)))``.

    Args:
        masking (dict, optional): a transform config, e.g.
            ``dict(type='AsymmetricMasking', input_size=(14, 14),
            student_mask_ratio=0.75, teacher_mask_ratio=0.5)``.
        pipeline (list): transforms, with ``'masking'`` where the masks go.
    """

    def __init__(self, *args, masking: Optional[dict] = None, pipeline=(), **kwargs):
        self.masking = copy.deepcopy(masking)
        super().__init__(*args, pipeline=fill_masking(pipeline, masking), **kwargs)


def masking_of(cfg) -> Optional[dict]:
    """The mask transform config of a config's training dataset (wrappers
    such as ``RepeatDataset`` looked through), None without one."""
    dataset = cfg['train_dataloader']['dataset']
    while 'masking' not in dataset and isinstance(dataset.get('dataset'), dict):
        dataset = dataset['dataset']
    masking = dataset.get('masking')
    return None if masking is None else copy.deepcopy(dict(masking))
