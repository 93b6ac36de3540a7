"""Token selection shared by every module: which tokens the student sees,
which extra ("diff") tokens the teacher sees, and index gathers over them.

The index tensors are computed once per batch from the masks packed by
:class:`amd_mm.datasets.transforms.AsymmetricMasking` and passed to every
module, instead of each module re-deriving them with boolean-mask reshapes.
"""
from dataclasses import dataclass

import torch


def gather_tokens(tokens: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """Select ``tokens[b, index[b]]`` for a batch: (B, N, C) -> (B, n, C)."""
    return torch.gather(
        tokens, 1, index.unsqueeze(-1).expand(-1, -1, tokens.shape[-1]))


def _sorted_indices(mask: torch.Tensor, field: str) -> torch.Tensor:
    """(B, N) bool with the same count per row -> (B, count) sorted indices."""
    counts = mask.sum(1)
    if mask.shape[0] and not bool((counts == counts[0]).all()):
        raise ValueError(f'`{field}` must select the same number of tokens in '
                         f'every sample of a batch, got counts '
                         f'{counts.tolist()}')
    return mask.nonzero()[:, 1].view(mask.shape[0], -1)


@dataclass
class TokenSplit:
    """Index view of one batch's masks (all indices in raster order).

    Attributes:
        student_visible (Tensor): (B, n_vis) tokens the student encodes.
        diff (Tensor): (B, n_diff) tokens only the teacher sees.
        student_masked (Tensor): (B, N - n_vis) tokens hidden from the student
            (the pixel-reconstruction targets; a superset of ``diff``).
        num_tokens (int): N, the number of patch tokens per sample.
    """
    student_visible: torch.Tensor
    diff: torch.Tensor
    student_masked: torch.Tensor
    num_tokens: int

    @classmethod
    def from_masks(cls, student_mask: torch.Tensor,
                   diff_mask: torch.Tensor) -> 'TokenSplit':
        """Build from (B, N) boolean masks: ``student_mask`` is True where a
        token is hidden from the student, ``diff_mask`` where it is hidden
        from the student but shown to the teacher."""
        student_mask = student_mask.flatten(1).bool()
        diff_mask = diff_mask.flatten(1).bool()
        return cls(
            student_visible=_sorted_indices(~student_mask, 'student visible'),
            diff=_sorted_indices(diff_mask, 'diff_mask'),
            student_masked=_sorted_indices(student_mask, 'mask'),
            num_tokens=student_mask.shape[1])

    @classmethod
    def from_data_samples(cls, data_samples, num_views: int = 1) -> 'TokenSplit':
        """From the masks the pipeline packed; with ``num_views`` > 1
        (:class:`RepeatedViews`) each sample holds one mask per view, and the
        split has ``len(data_samples) * num_views`` rows, sample-major like
        the flattened ``(B, V, ...)`` inputs."""
        student = torch.stack([torch.as_tensor(s.mask) for s in data_samples])
        if all('diff_mask' in s for s in data_samples):
            diff = torch.stack([torch.as_tensor(s.diff_mask) for s in data_samples])
        else:  # symmetric masking: the teacher sees what the student sees
            diff = torch.zeros_like(student, dtype=torch.bool)
        if num_views > 1:
            if student.ndim < 3 or student.shape[1] != num_views:
                raise ValueError(
                    f'inputs carry {num_views} views per sample but the packed '
                    f'masks have shape {tuple(student.shape[1:])} per sample; '
                    'expected (num_views, tokens): use RepeatedViews around the '
                    'mask transform')
            student, diff = student.flatten(0, 1), diff.flatten(0, 1)
        return cls.from_masks(student, diff)

    @property
    def teacher_visible(self) -> torch.Tensor:
        """Tokens the teacher encodes: the student's visible ones first, then
        the diff tokens (the order the teacher's outputs are split by)."""
        return torch.cat([self.student_visible, self.diff], dim=1)

    @property
    def num_visible(self) -> int:
        return self.student_visible.shape[1]

    @property
    def num_diff(self) -> int:
        return self.diff.shape[1]

    def to(self, device) -> 'TokenSplit':
        return TokenSplit(self.student_visible.to(device),
                          self.diff.to(device),
                          self.student_masked.to(device), self.num_tokens)
