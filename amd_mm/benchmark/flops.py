"""Model FLOPs of one training step, by part.

Counted with :class:`torch.utils.flop_counter.FlopCounterMode` (matrix
products, convolutions and attention; 2 FLOPs per multiply-add; element-wise
work, norms, softmax and the optimizer are not counted) over what the step
runs: forward and backward of the trained parts (student, neck with its
projections, generators and pixel decoder, head) and the forward of the
frozen teacher (inference mode, its token subset, stopping at its deepest
aligned block). The forward is attributed by module (``backbone``,
``teacher``, ``neck``; what runs outside them, e.g. the head's loss, is
``head``); the backward of the neck and head together (under ``neck``) and
of the student apart, cut at the student's outputs.
"""
import contextlib
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import torch
from torch.utils import flop_counter as fc
from torch.utils._pytree import tree_map

aten = torch.ops.aten
PART_MODULES = (('student', 'backbone'), ('teacher', 'teacher'), ('neck', 'neck'))
# (batch, m, k, n) of one matrix product
GemmShape = Tuple[int, int, int, int]


@dataclass
class StepFlops:
    """FLOPs of one step: ``forward[part]`` and ``backward[part]`` for part
    in student / teacher / neck / head (the backward of neck and head is
    counted together, under neck); ``gemms``: FLOPs per matrix-product
    shape (batch, m, k, n), forward and backward together."""
    forward: Dict[str, int] = field(default_factory=dict)
    backward: Dict[str, int] = field(default_factory=dict)
    gemms: Dict[GemmShape, int] = field(default_factory=dict)

    def part(self, name: str) -> int:
        return self.forward.get(name, 0) + self.backward.get(name, 0)

    @property
    def total(self) -> int:
        return sum(self.forward.values()) + sum(self.backward.values())

    @property
    def neck_head(self) -> int:
        return self.part('neck') + self.part('head')

    def as_dict(self) -> dict:
        return dict(total=self.total, student=self.part('student'),
                    teacher=self.part('teacher'), neck_head=self.neck_head,
                    forward=dict(self.forward), backward=dict(self.backward))


def _sdpa_cpu_flop(query, key, value, *args, out_shape=None, **kwargs):
    return fc.sdpa_flop_count(query, key, value)


def _sdpa_cpu_backward_flop(grad_out, query, key, value, *args, out_shape=None,
                            **kwargs):
    return fc.sdpa_backward_flop_count(grad_out, query, key, value)


def _recording(formula, shapes_of, gemms):
    """``formula`` (a flop_counter shape formula) that also adds its FLOPs
    to ``gemms`` under the product's (batch, m, k, n)."""
    def counted(*args, out_shape=None, **kwargs):
        flops = formula(*args, **kwargs)  # registered formulas take shapes too
        gemms[shapes_of(*args)] += flops
        return flops
    return counted


def counting_mode(gemms: Dict[GemmShape, int]) -> fc.FlopCounterMode:
    """A FlopCounterMode that records matrix-product shapes into ``gemms``
    and counts CPU fused attention where this torch does not."""
    mapping = {
        aten.mm: _recording(fc.mm_flop, lambda a, b: (1, a[0], a[1], b[1]), gemms),
        aten.addmm: _recording(fc.addmm_flop,
                               lambda c, a, b, *_: (1, a[0], a[1], b[1]), gemms),
        aten.bmm: _recording(fc.bmm_flop, lambda a, b: (a[0], a[1], a[2], b[2]), gemms),
        aten.baddbmm: _recording(fc.baddbmm_flop,
                                 lambda c, a, b, *_: (a[0], a[1], a[2], b[2]), gemms),
    }
    for name, formula in (('_scaled_dot_product_flash_attention_for_cpu', _sdpa_cpu_flop),
                          ('_scaled_dot_product_flash_attention_for_cpu_backward',
                           _sdpa_cpu_backward_flop)):
        op = getattr(aten, name, None)
        if op is not None and op not in fc.flop_registry:
            mapping[op] = formula
    return fc.FlopCounterMode(display=False, custom_mapping=mapping)


def split_by_part(mode: fc.FlopCounterMode) -> Dict[str, int]:
    """Forward FLOPs per part from the module-level counts of ``mode``: the
    ``backbone``/``teacher``/``neck`` children of the root module, the rest
    (work outside them, e.g. the head's loss) as ``head``."""
    counts = mode.get_flop_counts()
    total = sum(counts.get('Global', {}).values())
    roots = [k for k in counts if k != 'Global' and '.' not in k]
    parts = {}
    for part, child in PART_MODULES:
        parts[part] = sum(sum(counts.get(f'{root}.{child}', {}).values())
                          for root in roots)
    parts['head'] = total - sum(parts.values())
    return parts


@contextlib.contextmanager
def cut_after(module, cuts: List[Tuple[torch.Tensor, torch.Tensor]]):
    """Feed the outputs of ``module`` on as new leaves, so that a backward
    from the loss stops there; ``cuts`` collects (output, leaf) pairs to
    continue the backward from."""
    own = 'forward' in vars(module)  # an instance attribute (e.g. a timer)?
    forward = module.forward

    def cut(tensor):
        if not isinstance(tensor, torch.Tensor) or not tensor.requires_grad:
            return tensor
        leaf = tensor.detach().requires_grad_()
        cuts.append((tensor, leaf))
        return leaf

    def wrapped(*args, **kwargs):
        return tree_map(cut, forward(*args, **kwargs))

    module.forward = wrapped
    try:
        yield
    finally:
        if own:
            module.forward = forward
        else:
            del module.forward


def count_step_flops(model, data: dict, optim_wrapper=None) -> StepFlops:
    """FLOPs of one training step of ``model`` on the collated batch
    ``data``: data preprocessor, forward to the losses, backward; the
    optimizer is not run and the gradients are cleared afterwards.

    The forward is split by module; the backward is run in two pieces, cut
    at the student's outputs (the split of the step timer): from the loss to
    those outputs (neck and head), then through the student (its outputs'
    gradients summed over all their uses, as in one backward)."""
    gemms: Dict[GemmShape, int] = defaultdict(int)
    context = (optim_wrapper.optim_context(model) if optim_wrapper is not None
               else torch.enable_grad())
    cuts: List[Tuple[torch.Tensor, torch.Tensor]] = []
    forward = counting_mode(gemms)
    with cut_after(model.backbone, cuts), forward, context:
        batch = model.data_preprocessor(data, True)
        losses = model._run_forward(batch, mode='loss')
        loss, _ = model.parse_losses(losses)
    head_backward = counting_mode(gemms)
    with head_backward:
        loss.backward()
    pairs = [(out, leaf.grad) for out, leaf in cuts if leaf.grad is not None]
    student_backward = counting_mode(gemms)
    with student_backward:
        if pairs:
            torch.autograd.backward([o for o, _ in pairs], [g for _, g in pairs])
    model.zero_grad(set_to_none=True)
    backward = dict(student=student_backward.get_total_flops(), teacher=0,
                    neck=head_backward.get_total_flops(), head=0)
    return StepFlops(split_by_part(forward), backward, dict(gemms))


def config_flops(spec: str, cfg_options: Optional[dict] = None,
                 views: Optional[int] = None) -> Tuple[StepFlops, dict]:
    """One training step of one sample (one video of ``views`` clips) of a
    config spec (as :func:`~amd_mm.benchmark.configs.load_config` reads it;
    teacher weights are not needed), and the parameter counts
    ``student``/``teacher``/``trainable``."""
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import MODELS

    from .batch import build_masking, synthetic_batch
    from .configs import find_views, load_config
    cfg = load_config(spec, cfg_options, views=views)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    model = MODELS.build(cfg.model)  # FLOPs do not depend on the weights: no init
    masking = build_masking(cfg)
    if masking is None:
        raise ValueError(f'{spec}: no AsymmetricMasking transform in its training pipeline '
                         '(not a masked pre-training config)')
    data = synthetic_batch(model.train(), masking, 1, views=find_views(cfg))

    def count(module, trainable=False):
        return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable) \
            if module is not None else 0

    params = dict(student=count(model.backbone), teacher=count(getattr(model, 'teacher', None)),
                  trainable=count(model, trainable=True))
    return count_step_flops(model, data), params
