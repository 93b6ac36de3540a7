"""MMEngine's default optimizer constructor with its parameter groups merged.

With a ``paramwise_cfg`` (no weight decay on norms, biases, position tables,
tokens; needed anyway so that the frozen teacher stays out of the optimizer)
MMEngine gives every parameter its own group. PyTorch's multi-tensor
(``foreach``) AdamW then works group by group, so a ViT-S MAE step launched
~250 tiny updates: 44 ms of optimizer on an H100 against ~30 ms for forward
and backward (docs/benchmarks.md). Parameters whose settings are equal are
updated identically in one group or in many, so merging them changes no
value, only the number of kernel launches (and, with gradient clipping, the
order in which the gradient norm is summed).

The optimizer state of a checkpoint saved with one group per parameter does
not load into merged groups: resume such a run with
``--cfg-options optim_wrapper.constructor=DefaultOptimWrapperConstructor``.

MMEngine also logs a line per parameter (``... is skipped since its
requires_grad=False`` for each frozen teacher weight, ``paramwise_options --
...`` for each setting): about 160 lines for the nano AMD model. This
constructor logs two instead, one for the frozen parameters and one for the
groups.
"""
import logging
import re
from collections import Counter

from mmengine.logging import MMLogger
from mmengine.optim import DefaultOptimWrapperConstructor

from ...registry import (MMACTION_OPTIM_WRAPPER_CONSTRUCTORS,
                         MMDET_OPTIM_WRAPPER_CONSTRUCTORS,
                         OPTIM_WRAPPER_CONSTRUCTORS)


def merge_param_groups(groups):
    """One group per distinct setting (lr, weight_decay, ...), in the order
    settings first appear; parameters keep their order within a setting."""
    merged, seen = {}, set()
    for group in groups:
        for param in group['params']:
            # one group would hide it from torch's check and update it twice
            if id(param) in seen:
                raise ValueError(
                    f'a parameter of shape {tuple(param.shape)} is in two parameter '
                    'groups (tied weights?); set paramwise_cfg.bypass_duplicate=True')
            seen.add(id(param))
        settings = tuple(sorted((k, repr(v)) for k, v in group.items() if k != 'params'))
        if settings not in merged:
            merged[settings] = dict(group, params=[])
        merged[settings]['params'].extend(group['params'])
    return list(merged.values())


class _HoldPerParameterLines(logging.Filter):
    """Keep MMEngine's per-parameter lines out of the log, counting them."""
    FROZEN = re.compile(r'^\.?(\S+) is skipped since its requires_grad=False$')

    def __init__(self):
        super().__init__()
        self.frozen = []
        self.options = 0

    def filter(self, record) -> bool:
        message = record.getMessage()
        if message.startswith('paramwise_options -- '):
            self.options += 1
            return False
        frozen = self.FROZEN.match(message)
        if frozen:
            self.frozen.append(frozen.group(1))
            return False
        return True


def _millions(params) -> str:
    return f'{sum(p.numel() for p in params) / 1e6:.2f} M values'


def summary_lines(module, groups, defaults):
    """One line for the frozen parameters (by top-level module; a lone one
    by name), one for the optimizer's groups and their settings."""
    frozen = [(name, p) for name, p in module.named_parameters() if not p.requires_grad]
    lines = []
    if frozen:
        owners = Counter(name.split('.')[0] for name, _ in frozen)
        named = [name if owners[name.split('.')[0]] == 1 else None for name, _ in frozen]
        parts = [f'{owner}.* {n}' for owner, n in owners.items() if n > 1]
        parts += [name for name in named if name]
        size = _millions(p for _, p in frozen)
        lines.append(f'optimizer: {len(frozen)} frozen parameter tensors ({size}, '
                     'requires_grad=False) left out: ' + ', '.join(parts))

    def show(settings):
        return ' '.join(f'{k}={v:g}' if isinstance(v, float) else f'{k}={v}'
                        for k, v in settings.items())

    trainable = [p for group in groups for p in group['params']]
    settings = [f'[{show({k: v for k, v in group.items() if k != "params"}) or "defaults"}: '
                f'{len(group["params"])} tensors]' for group in groups]
    lines.append(f'optimizer: {len(trainable)} trainable parameter tensors '
                 f'({_millions(trainable)}) in {len(groups)} group(s), defaults '
                 f'{show(defaults)}: ' + ' '.join(settings))
    return lines


class MergedGroupsOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """``DefaultOptimWrapperConstructor`` (same ``paramwise_cfg``) that hands
    the optimizer one group per distinct setting instead of one per parameter.

    Example:
        >>> optim_wrapper = dict(
        ...     optimizer=dict(type='AdamW', lr=1.5e-4, weight_decay=0.05),
        ...     constructor='MergedGroupsOptimWrapperConstructor',
        ...     paramwise_cfg=dict(norm_decay_mult=0., bias_decay_mult=0.))
    """

    def add_params(self, params, module, prefix='', is_dcn_module=None):
        if prefix:
            return super().add_params(params, module, prefix, is_dcn_module)
        # the outermost call: every parameter is in when it returns
        logger = MMLogger.get_current_instance()
        hold = _HoldPerParameterLines()
        logger.addFilter(hold)
        try:
            super().add_params(params, module, prefix, is_dcn_module)
        finally:
            logger.removeFilter(hold)
        params[:] = merge_param_groups(params)
        defaults = dict(lr=self.base_lr, weight_decay=self.base_wd)
        for line in summary_lines(module, params,
                                  {k: v for k, v in defaults.items() if v is not None}):
            logger.info(line)


for _registry in (OPTIM_WRAPPER_CONSTRUCTORS, MMACTION_OPTIM_WRAPPER_CONSTRUCTORS,
                  MMDET_OPTIM_WRAPPER_CONSTRUCTORS):
    _registry.register_module(module=MergedGroupsOptimWrapperConstructor)
