"""The teacher interface of masked distillation: what every teacher (amd_mm's
own ViTs, timm and Hugging Face models) receives, returns and owns."""
import os.path as osp
from typing import List, NamedTuple, Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule

from ...converters.io import check_sha256
from ...paths import resolve
from ..backbones.masked_encoder import TokenGeometry, check_block_list
from ..utils import TokenSplit, gather_tokens
from .input_transform import TeacherInputTransform


def local_checkpoint(checkpoint):
    """A teacher's ``checkpoint`` (a path, or ``dict(path=..., sha256=...)``
    as the shipped teachers' configs give it) as a path found from any folder
    (:func:`amd_mm.paths.resolve`), its SHA-256 verified when one is recorded;
    a missing file is left to the teacher's own, more specific error."""
    sha256 = None
    if isinstance(checkpoint, dict):
        checkpoint, sha256 = checkpoint['path'], checkpoint.get('sha256')
    checkpoint = resolve(checkpoint)
    if sha256 and checkpoint is not None and osp.isfile(checkpoint):
        check_sha256(checkpoint, sha256, 'model.teacher.checkpoint.path',
                     'model.teacher.checkpoint.sha256')
    return checkpoint


class TeacherFeatures(NamedTuple):
    """One teacher block's output, split by who sees each token: ``prefix``
    (B, P, C), the CLS token (P = 0 without one; registers and distillation
    tokens are not returned); ``visible`` (B, n_vis, C) at the
    student-visible tokens; ``diff`` (B, n_diff, C) at the tokens only the
    teacher sees. Tokens are those of the student's grid."""
    prefix: torch.Tensor
    visible: torch.Tensor
    diff: torch.Tensor


class BaseTeacher(BaseModule):
    """A frozen teacher of masked distillation.

    **Receives** the batch as the student's data preprocessor made it
    ((B, C, H, W) or (B, C, T, H, W), normalised with the student's mean/std)
    and the batch's :class:`TokenSplit`. **Returns** one
    :class:`TeacherFeatures` per entry of ``feature_blocks``, on the
    student's token grid: token i is the same image region for both.

    **Owns**: its input transform (:class:`TeacherInputTransform`: from the
    student's normalisation to its own, grey to RGB, resized so that its
    patches give the student's grid), its tokenisation and prefix tokens, its
    position table (interpolated by its library when the grid differs), and
    which tokens it runs on (``token_subset``). The model binds it to the
    student with :meth:`adapt_to` when it is built.

    Blocks are numbered **from 1**, as in the papers: block k is the output
    of the k-th transformer block (before any final norm); block 0 is the
    embedded input (patches + position + prefix tokens, after any pre-norm).

    It is frozen (``requires_grad=False``: out of the optimizer and of DDP's
    gradient reduction), always in eval mode, run without autograd, and
    follows autocast like any module. Subclasses provide the pieces marked
    below; :meth:`encode` is one implementation for all of them.

    Args:
        feature_blocks (Sequence[int]): blocks to return, e.g. ``(12, 24)``.
        token_subset (bool): run the blocks only on the teacher-visible tokens
            (AMD, DMAE; the library's embedding, then a gather, then its
            blocks). False runs every token and picks the teacher-visible
            ones afterwards (needed for a teacher whose position code is not
            added to the tokens, e.g. rotary).
        final_norm (bool): apply the model's final norm to the features of
            its last block (e.g. CLIP's ``ln_post`` on the patch tokens, the
            target of dBOT's CLIP-teacher recipe).
        mean, std (Sequence[float], optional): the teacher's input
            normalisation in [0, 255] units, as a data preprocessor's;
            default: what its library says (timm's ``pretrained_cfg``, the
            folder's ``preprocessor_config.json``), or the student's for
            amd_mm's own teachers.
    """

    #: the model's input kind: 2 for images (grid (H, W)), 3 for video
    grid_rank: int = 2

    def __init__(self,
                 feature_blocks: Sequence[int],
                 token_subset: bool = True,
                 final_norm: bool = False,
                 mean: Optional[Sequence[float]] = None,
                 std: Optional[Sequence[float]] = None,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.token_subset = bool(token_subset)
        self.final_norm = bool(final_norm)
        self._feature_blocks_cfg = feature_blocks
        self.norm_cfg = (mean, std)
        if (mean is None) != (std is None):
            raise ValueError(f'teacher.mean={mean!r} and teacher.std={std!r}: give both or '
                             'neither')
        self.input_transform = None  # set by adapt_to

    # ------------------------------------------------------------------
    # what a subclass provides

    @property
    def depth(self) -> int:
        return len(self._blocks)

    @property
    def embed_dims(self) -> int:
        raise NotImplementedError

    @property
    def num_prefix_tokens(self) -> int:
        """Tokens before the patch tokens in the model's sequence (CLS,
        registers, distillation token)."""
        raise NotImplementedError

    @property
    def num_cls_tokens(self) -> int:
        """Leading prefix tokens returned as :attr:`TeacherFeatures.prefix`
        (1 for a CLS token, else 0)."""
        raise NotImplementedError

    @property
    def geometry(self) -> TokenGeometry:
        """The tokenisation the model was built for (its own grid)."""
        raise NotImplementedError

    def default_norm(self) -> Optional[Tuple[Sequence[float], Sequence[float]]]:
        """(mean, std) in [0, 255] units from the library's files, or None
        for 'the student's normalisation'."""
        return None

    def describe(self) -> str:
        """A one-line name of the model for messages."""
        return type(self).__name__

    def _set_grid(self, grid: Tuple[int, ...]) -> None:
        """Make the model accept inputs that give ``grid`` (interpolate its
        position table), or raise naming the field."""
        raise NotImplementedError

    def _embed(self, inputs: torch.Tensor) -> torch.Tensor:
        """(B, P + N, C): the library's embedding (patches, position, prefix
        tokens first)."""
        raise NotImplementedError

    def _pre_blocks(self, tokens: torch.Tensor) -> torch.Tensor:
        return tokens

    @property
    def _blocks(self) -> Sequence[torch.nn.Module]:
        raise NotImplementedError

    def _run_block(self, block, tokens: torch.Tensor) -> torch.Tensor:
        return block(tokens)

    def _final_norm(self, tokens: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    # ------------------------------------------------------------------
    # shared

    def _setup(self) -> None:
        """Called by a subclass once its model is built: check the blocks,
        freeze."""
        self.feature_blocks = self.check_feature_blocks(self._feature_blocks_cfg)
        if self.final_norm and self.depth not in self.feature_blocks:
            raise ValueError(
                f'teacher.final_norm=True normalises the last block ({self.depth}) of '
                f'{self.describe()}, but teacher.feature_blocks={list(self.feature_blocks)} '
                'does not include it')
        self.freeze()

    def check_feature_blocks(self, blocks, field: str = 'teacher.feature_blocks'):
        blocks = check_block_list(blocks, field)
        if not blocks:
            raise ValueError(f'`{field}` is empty: a teacher must provide at least one feature')
        depth = self.depth
        for block in blocks:
            if not 0 <= block <= depth:
                raise ValueError(
                    f'`{field}`={list(blocks)}: block {block} does not exist in {self.describe()}, '
                    f'which has {depth} blocks; blocks are numbered from 1 (block k = output '
                    f'of the k-th block, 0 = the embedded input), so use 0..{depth}')
        return blocks

    def freeze(self) -> None:
        for param in self.parameters():
            param.requires_grad = False
        self.train(False)

    def train(self, mode: bool = True):
        """The teacher stays in eval mode whatever the runner asks."""
        return super().train(False)

    def init_weights(self):
        """Weights come from the teacher's own files when it is built; a
        model-level initialiser must not re-draw them (nor recurse into the
        library model's own ``init_weights``)."""
        self._is_init = True

    def adapt_to(self, student: TokenGeometry, input_norm=None) -> None:
        """Bind the teacher to the student: its grid, channels and
        normalisation (:class:`~amd_mm.models.heads.distill_head.InputNorm`
        of the student's data preprocessor, None when it does not
        normalise). Raises naming the field when it cannot."""
        if len(student.grid) != self.grid_rank:
            kind = {2: 'an image', 3: 'a video'}
            raise ValueError(
                f'{self.describe()} is {kind[self.grid_rank]} model but the student is '
                f'{kind.get(len(student.grid), str(len(student.grid)) + "-d")} model '
                f'(token grid {student.grid})')
        own = self.geometry
        if self.grid_rank == 3 and student.grid[0] * own.tubelet_size != student.input_size[0]:
            raise ValueError(
                f'{self.describe()} has tubelet_size={own.tubelet_size} but the student\'s '
                f'{student.describe()} puts {student.tubelet_size} frame(s) in a token: '
                'a teacher must cover the same frames per token')
        self._set_grid(tuple(student.grid))
        mean, std = self.norm_cfg if self.norm_cfg[0] is not None else (
            self.default_norm() or (None, None))
        size = tuple(g * own.patch_size for g in student.grid[-2:])
        self.input_transform = TeacherInputTransform(
            student_norm=input_norm, student_channels=student.in_channels,
            mean=mean, std=std, channels=own.in_channels, size=size,
            owner=self.describe())

    def encode(self, inputs: torch.Tensor, index: Optional[torch.Tensor],
               blocks: Sequence[int], stop_early: bool = True) -> List[torch.Tensor]:
        """The outputs (B, P + n, C) of ``blocks`` on the tokens ``index``
        (B, n) of the model's own input (every token when None)."""
        tokens = self._embed(inputs)
        P = self.num_prefix_tokens
        if index is not None:
            tokens = torch.cat([tokens[:, :P], gather_tokens(tokens[:, P:], index)], dim=1)
        tokens = self._pre_blocks(tokens)
        depth = max(blocks) if stop_early else self.depth
        collected = {0: tokens}
        for number, block in enumerate(list(self._blocks)[:depth], start=1):
            tokens = self._run_block(block, tokens)
            collected[number] = tokens
        return [self._final_norm(collected[b]) if self.final_norm and b == self.depth
                else collected[b] for b in blocks]

    def forward(self, inputs: torch.Tensor, tokens: TokenSplit) -> List[TeacherFeatures]:
        """The features of each of ``feature_blocks`` at the teacher-visible
        tokens (the student's visible ones, then the diff ones), split into
        parts."""
        index = tokens.teacher_visible
        # no_grad, not inference_mode: inference tensors cannot enter a
        # torch.compile graph (MMEngine's `compile` key), and targets made
        # under no_grad need no copy to be saved for the student's backward
        with torch.no_grad():
            if self.input_transform is not None:  # unbound: inputs are the teacher's own
                inputs = self.input_transform(inputs)
            if self.token_subset:
                out = self.encode(inputs, index, self.feature_blocks)
            else:
                P = self.num_prefix_tokens
                out = [torch.cat([f[:, :P], gather_tokens(f[:, P:], index)], 1)
                       for f in self.encode(inputs, None, self.feature_blocks)]
        P, C, n_vis = self.num_prefix_tokens, self.num_cls_tokens, tokens.num_visible
        return [TeacherFeatures(f[:, :C], f[:, P:P + n_vis], f[:, P + n_vis:]) for f in out]
