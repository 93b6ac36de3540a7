"""Wall time of a training step, split into its parts."""
import os
import statistics
import time
from collections import defaultdict
from typing import Dict, Optional, Sequence

import torch

# step parts in table order: (key, column title)
PARTS = (('preproc', 'preproc'), ('student_fwd', 'student fwd'),
         ('teacher_fwd', 'teacher fwd'), ('neck_fwd', 'neck fwd'),
         ('head_loss', 'head/loss'), ('bwd_neck_head', 'bwd neck+head'),
         ('bwd_student', 'bwd student'), ('optim', 'optim'),
         ('other', 'other'))


class StepTimer:
    """Accumulates wall time per step part by wrapping bound methods.

    Module calls are synchronised on CUDA so that each part is charged its own
    kernels. Backward is split where the first gradient reaches one of the
    student's outputs: the autograd engine runs the later (neck, head) nodes
    before the earlier (student) ones, so the time before that point is the
    neck+head backward and the rest the student's.
    """

    def __init__(self, cuda: bool):
        self.cuda = cuda
        self.parts: Dict[str, float] = defaultdict(float)
        self._boundary: Optional[float] = None

    def now(self) -> float:
        if self.cuda:
            torch.cuda.synchronize()
        return time.perf_counter()

    def reset(self):
        self.parts = defaultdict(float)
        self._boundary = None

    def wrap(self, owner, name: str, key: str, student: bool = False):
        fn = getattr(owner, name)

        def timed(*args, **kwargs):
            start = self.now()
            out = fn(*args, **kwargs)
            self.parts[key] += self.now() - start
            if student and torch.is_grad_enabled():
                for tensor in _tensors(out):
                    if tensor.requires_grad:
                        tensor.register_hook(self._mark_boundary)
            return out

        setattr(owner, name, timed)

    def _mark_boundary(self, grad):
        if self._boundary is None:
            self._boundary = self.now()

    def wrap_backward(self, optim_wrapper):
        fn = optim_wrapper.backward

        def timed(*args, **kwargs):
            self._boundary = None
            start = self.now()
            out = fn(*args, **kwargs)
            end = self.now()
            split = self._boundary if self._boundary is not None else end
            self.parts['bwd_neck_head'] += split - start
            self.parts['bwd_student'] += end - split
            return out

        optim_wrapper.backward = timed

    def wrap_step(self, model, optim_wrapper):
        """Time every part of ``model.train_step``."""
        self.wrap(model.data_preprocessor, 'forward', 'preproc')
        self.wrap(model.backbone, 'forward', 'student_fwd', student=True)
        if getattr(model, 'teacher', None) is not None:
            self.wrap(model.teacher, 'forward', 'teacher_fwd')
        self.wrap(model.neck, 'forward', 'neck_fwd')
        self.wrap(model.head, 'loss', 'head_loss')
        self.wrap_backward(optim_wrapper)
        self.wrap(optim_wrapper, 'step', 'optim')
        self.wrap(optim_wrapper, 'zero_grad', 'optim')


def _tensors(out):
    if isinstance(out, torch.Tensor):
        yield out
    elif isinstance(out, (list, tuple)):
        for item in out:
            yield from _tensors(item)
    elif isinstance(out, dict):
        for item in out.values():
            yield from _tensors(item)
    elif hasattr(out, '__dataclass_fields__'):  # typed outputs
        for name in out.__dataclass_fields__:
            yield from _tensors(getattr(out, name))


def quantiles(values: Sequence[float]):
    """(q1, median, q3)."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0], ordered[0], ordered[0]
    q1, q2, q3 = statistics.quantiles(ordered, n=4, method='inclusive')
    return q1, q2, q3


def load_average() -> Optional[float]:
    """1-minute load average (other processes on a shared machine show up
    here and in a wide spread)."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return None
