"""Linear warm-up then cosine annealing as one scheduler with named fields."""
from typing import List, Optional

from mmengine.optim.scheduler import _ParamScheduler

from ...registry import PARAM_SCHEDULERS


@PARAM_SCHEDULERS.register_module()
class WarmupCosineLR(_ParamScheduler):
    """MMEngine's ``LinearLR`` warm-up followed by ``CosineAnnealingLR``, the
    schedule of MAE, AMD, DMAE and dBOT, configured by name instead of by
    list index: ``param_scheduler.warmup``, ``param_scheduler.end``.

    It builds and steps exactly those two MMEngine schedulers (same values,
    same checkpoint contents per part); ``end`` defaults to the run's
    ``max_epochs``/``max_iters`` (MMEngine's Runner fills it). It is a
    ``_ParamScheduler`` for the Runner's type checks, with every method
    delegated to its parts (the base constructor is not run).

    Args:
        optimizer: the optimizer wrapper (given by the Runner).
        warmup (int): length of the linear warm-up, in epochs when
            ``by_epoch`` else iterations; 0 for none. A run that ends
            within it (``begin + warmup >= end``) only warms up.
        end (int): where the cosine reaches ``eta_min``.
        begin (int): where the warm-up starts.
        start_factor (float): lr factor at ``begin``.
        eta_min (float, optional): final lr.
        eta_min_ratio (float, optional): final lr as a ratio of the initial.
        by_epoch (bool): unit of ``begin``/``warmup``/``end``.
        convert_to_iter_based (bool): step per iteration (epoch units).
        epoch_length (int, optional): iterations per epoch (given by the
            Runner when converting).

    Example:
        >>> param_scheduler = dict(type='WarmupCosineLR', warmup=40,
        ...                        start_factor=1e-4, by_epoch=True,
        ...                        convert_to_iter_based=True)
    """

    def __init__(self,
                 optimizer,
                 warmup: int,
                 end: int,
                 begin: int = 0,
                 start_factor: float = 1e-3,
                 eta_min: Optional[float] = None,
                 eta_min_ratio: Optional[float] = None,
                 by_epoch: bool = True,
                 convert_to_iter_based: bool = False,
                 epoch_length: Optional[int] = None):
        if warmup < 0 or end <= begin:
            raise ValueError(f'WarmupCosineLR needs warmup >= 0 and end > begin, got '
                             f'warmup={warmup}, begin={begin}, end={end}')
        common = dict(by_epoch=by_epoch)
        if convert_to_iter_based:
            common.update(convert_to_iter_based=True)
        parts = []
        if warmup:
            parts.append(dict(type='LinearLR', start_factor=start_factor, begin=begin,
                              end=begin + warmup, **common))
        if begin + warmup < end:  # else the run ends within the warm-up
            parts.append(dict(type='CosineAnnealingLR', T_max=end - begin - warmup,
                              begin=begin + warmup, end=end, eta_min=eta_min,
                              eta_min_ratio=eta_min_ratio, **common))
        default_args = dict(optimizer=optimizer)
        if epoch_length is not None:
            default_args['epoch_length'] = epoch_length
        self.schedulers: List = [PARAM_SCHEDULERS.build(part, default_args=default_args)
                                 for part in parts]
        self.optimizer = optimizer
        self.param_name = 'lr'
        self.by_epoch = self.schedulers[0].by_epoch

    @classmethod
    def build_iter_from_epoch(cls, *args, epoch_length: int, **kwargs):
        """What MMEngine calls for ``convert_to_iter_based=True``."""
        return cls(*args, convert_to_iter_based=True, epoch_length=epoch_length, **kwargs)

    def step(self):
        for scheduler in self.schedulers:
            scheduler.step()

    def state_dict(self) -> dict:
        return dict(schedulers=[s.state_dict() for s in self.schedulers])

    def load_state_dict(self, state_dict: dict):
        for scheduler, state in zip(self.schedulers, state_dict['schedulers']):
            scheduler.load_state_dict(state)

    def get_last_value(self):
        return self.schedulers[-1].get_last_value()
