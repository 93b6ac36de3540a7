"""dBOT's multi-stage bootstrapping of the teacher."""
import numbers
from typing import Optional, Sequence

import torch
from mmengine.dist import broadcast, get_dist_info
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from ...registry import HOOKS


def reinitialize(module: torch.nn.Module) -> None:
    """Run ``init_weights`` again (MMEngine's BaseModule refuses a second
    call unless its ``_is_init`` flags are cleared)."""
    for sub in module.modules():
        if hasattr(sub, '_is_init'):
            sub._is_init = False
    module.init_weights()


def restart_schedulers(runner) -> None:
    """Replay every parameter scheduler from its first step, from the
    optimizer's initial values, as at construction."""
    schedulers = runner.param_schedulers or []
    if isinstance(schedulers, dict):
        schedulers = [s for group in schedulers.values() for s in group]
    # a composite (WarmupCosineLR) restarts its parts
    schedulers = [part for s in schedulers for part in getattr(s, 'schedulers', [s])]
    for scheduler in schedulers:
        name = scheduler.param_name
        for group in scheduler.optimizer.param_groups:
            group[name] = group[f'initial_{name}']
    for scheduler in schedulers:
        scheduler._global_step = -1
        scheduler.last_step = -1
        scheduler.step()


@HOOKS.register_module()
class TeacherBootstrapHook(Hook):
    """Multi-stage bootstrapping of `dBOT <https://arxiv.org/abs/2209.03917>`_.

    * At the start of a fresh run (stage 0) the teacher becomes a copy of the
      student's random initialisation (with ``stage_feature_blocks=[(0,),
      ...]`` a 0-block teacher: LN(patch embedding + position), as dBOT's
      ViT-L/H).
    * At each boundary in ``stages`` the teacher becomes a hard copy of the
      current student (no EMA), the student (backbone and neck) is
      re-initialised, the learning-rate schedule restarts, and the optimizer
      state is cleared (``reset_optimizer``).
    * After a resume the stage is derived from the restored progress; the
      teacher's weights come from the checkpoint.

    Unlike the official code, the re-initialised student is broadcast from
    rank 0, so all ranks stay identical, and AdamW's moments of the previous
    student are not carried into the new one (set ``reset_optimizer=False``
    to keep them, as the official code does).

    Configs register it as ``default_hooks.teacher_bootstrap`` (a named entry
    of MMEngine's ``default_hooks``), so its fields are keys such as
    ``default_hooks.teacher_bootstrap.stages``.

    Args:
        stages (Sequence[int]): where each new stage starts, in epochs
            (``by_epoch``) or iterations; ``[800]`` gives 2 stages of a
            1600-epoch run.
        by_epoch (bool): unit of ``stages``.
        stage_feature_blocks (Sequence[Sequence[int]], optional): the
            teacher's ``feature_blocks`` per stage (len(stages) + 1 entries).
        reset_optimizer (bool): clear the optimizer state at a switch.
        restart_schedule (bool): restart the parameter schedulers.
    """
    priority = 'HIGH'

    def __init__(self,
                 stages: Sequence[int],
                 by_epoch: bool = True,
                 stage_feature_blocks: Optional[Sequence[Sequence[int]]] = None,
                 reset_optimizer: bool = True,
                 restart_schedule: bool = True):
        if isinstance(stages, (str, bytes)) or not isinstance(stages, Sequence) or any(
                isinstance(s, bool) or not isinstance(s, numbers.Integral) for s in stages):
            raise TypeError('default_hooks.teacher_bootstrap.stages must be a list of int '
                            f'stage boundaries, e.g. [800], got {stages!r}')
        if list(stages) != sorted(set(stages)):
            raise ValueError('default_hooks.teacher_bootstrap.stages must be increasing, '
                             f'without repeats, got {list(stages)}')
        self.stages = [int(s) for s in stages]
        if any(s <= 0 for s in self.stages):
            raise ValueError(f'TeacherBootstrapHook.stages must be positive, got {stages}')
        if stage_feature_blocks is not None and len(stage_feature_blocks) != len(self.stages) + 1:
            raise ValueError(
                f'TeacherBootstrapHook.stage_feature_blocks needs {len(self.stages) + 1} '
                f'entries (one per stage), got {len(stage_feature_blocks)}')
        self.by_epoch = by_epoch
        self.stage_feature_blocks = stage_feature_blocks
        self.reset_optimizer = reset_optimizer
        self.restart_schedule = restart_schedule

    @staticmethod
    def _model(runner):
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    def stage_at(self, progress: int) -> int:
        return sum(progress >= boundary for boundary in self.stages)

    def _progress(self, runner) -> int:
        return runner.epoch if self.by_epoch else runner.iter

    def _set_stage(self, model, stage: int) -> None:
        if self.stage_feature_blocks is not None:
            teacher = model.teacher
            teacher.feature_blocks = teacher.backbone.check_feature_blocks(
                self.stage_feature_blocks[stage], 'stage_feature_blocks')

    def _copy_student_to_teacher(self, model) -> None:
        model.teacher.backbone.load_state_dict(model.backbone.state_dict())

    def before_train(self, runner) -> None:
        model = self._model(runner)
        if model.teacher is None:
            raise ValueError('TeacherBootstrapHook needs a model with a teacher')
        end = runner.max_epochs if self.by_epoch else runner.max_iters
        late = [s for s in self.stages if s >= end]
        if late:
            unit = 'max_epochs' if self.by_epoch else 'max_iters'
            raise ValueError(
                f'default_hooks.teacher_bootstrap.stages={self.stages} has boundaries '
                f'{late} at or after the end of the run (train_cfg.{unit}={end}): '
                'those stages would never train')
        progress = self._progress(runner)
        self._set_stage(model, self.stage_at(progress))
        if progress == 0:  # fresh run: stage 0's random teacher
            self._copy_student_to_teacher(model)
            runner.logger.info('TeacherBootstrapHook: stage 0, teacher = the '
                               "student's random initialisation")

    def _maybe_switch(self, runner) -> None:
        progress = self._progress(runner)
        if progress not in self.stages:
            return
        model = self._model(runner)
        stage = self.stage_at(progress)
        self._copy_student_to_teacher(model)
        self._set_stage(model, stage)
        reinitialize(model.backbone)
        reinitialize(model.neck)
        if get_dist_info()[1] > 1:
            for tensor in model.state_dict().values():
                broadcast(tensor, src=0)
        if self.reset_optimizer:
            runner.optim_wrapper.optimizer.state.clear()
        if self.restart_schedule:
            restart_schedulers(runner)
        print_log(f'TeacherBootstrapHook: stage {stage} starts at '
                  f"{'epoch' if self.by_epoch else 'iteration'} {progress}: teacher = "
                  'student, student re-initialised'
                  + (', optimizer state reset' if self.reset_optimizer else '')
                  + (', lr schedule restarted' if self.restart_schedule else ''),
                  logger='current')

    def before_train_epoch(self, runner) -> None:
        if self.by_epoch:
            self._maybe_switch(runner)

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        if not self.by_epoch:
            self._maybe_switch(runner)
