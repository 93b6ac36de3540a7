"""Linear warm-up then cosine annealing as one scheduler with named fields."""
from typing import List, Optional

from mmengine.optim.scheduler import _ParamScheduler

from ...registry import PARAM_SCHEDULERS


@PARAM_SCHEDULERS.register_module()
class WarmupCosineLR(_ParamScheduler):
    """A linear warm-up followed by cosine annealing, the schedule of MAE, AMD,
    DMAE and dBOT, configured by name instead of by list index:
    ``param_scheduler.warmup``, ``param_scheduler.end``.

    As in MAE (``lr_sched.adjust_learning_rate``), a warm-up of ``warmup``
    steps rises linearly from ``start_factor`` and reaches the base lr at
    step ``begin + warmup``, where the cosine starts: ``warmup=1`` trains
    step 0 at ``start_factor`` x lr and step 1 at lr. (MMEngine's ``LinearLR``
    with ``end=begin + warmup`` reaches the base lr one step early and, with
    ``warmup=1``, never: the cosine then starts from ``start_factor`` x lr.)

    It builds and steps MMEngine's ``LinearLR`` (over ``warmup + 1`` steps,
    sharing its last one with the cosine's first) and ``CosineAnnealingLR``;
    ``end`` defaults to the run's ``max_epochs``/``max_iters`` (MMEngine's
    Runner fills it). It is a ``_ParamScheduler`` for the Runner's type
    checks, with every method delegated to its parts (the base constructor
    is not run).

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
        if warmup < 0:
            raise ValueError(f'param_scheduler.warmup={warmup}: expected >= 0 (0 for none)')
        if end <= begin:
            raise ValueError(
                f'param_scheduler.end={end} must be > param_scheduler.begin={begin} (end '
                'defaults to train_cfg.max_iters / max_epochs, which must be > 0)')
        common = dict(by_epoch=by_epoch)
        if convert_to_iter_based:
            if not epoch_length:
                raise ValueError('WarmupCosineLR(convert_to_iter_based=True) needs '
                                 f'epoch_length > 0, got {epoch_length!r}')
            # in iterations here, so that the extra warm-up step is one iteration
            begin, warmup, end = (int(v * epoch_length) for v in (begin, warmup, end))
            common = dict(by_epoch=False)
        parts = []
        if warmup:  # its last step (factor 1) is the cosine's first: base lr at begin + warmup
            parts.append(dict(type='LinearLR', start_factor=start_factor, begin=begin,
                              end=begin + warmup + 1, **common))
        if begin + warmup < end:  # else the run ends within the warm-up
            parts.append(dict(type='CosineAnnealingLR', T_max=end - begin - warmup,
                              begin=begin + warmup, end=end, eta_min=eta_min,
                              eta_min_ratio=eta_min_ratio, **common))
        default_args = dict(optimizer=optimizer)
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
