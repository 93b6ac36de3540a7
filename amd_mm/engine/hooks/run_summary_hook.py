"""What will run, in a few lines at start-up."""
import os.path as osp
from typing import List, Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from ...registry import HOOKS, TRANSFORMS

#: the head's loss attributes and the names the terms are logged under
_TERMS = (('pixel_loss', 'loss_pixel'), ('direct_loss', 'loss_direct'),
          ('gen_loss', 'loss_gen'))


def environment_line(runner) -> str:
    """World size, device and (when distributed) launcher and backend:
    MMEngine's own banner says ``GPU number: N`` for N processes, on CPU too."""
    import torch
    import torch.distributed as dist
    from mmengine.device import get_device
    device = get_device()
    if device == 'cuda':
        device = f'cuda ({torch.cuda.get_device_name()}, one per process)'
    world = runner.world_size
    if world == 1:
        return f'run: world size 1 (one process), device {device}'
    backend = dist.get_backend() if dist.is_available() and dist.is_initialized() else '?'
    return (f'run: world size {world} ({world} processes, launcher {runner.launcher}, '
            f'backend {backend}), device {device}')


def masking_counts(cfg) -> Optional[tuple]:
    """(masking config, (student-visible, diff, hidden) tokens per sample)."""
    from ...datasets.transforms.asymmetric_masking import masking_of
    masking = masking_of(cfg) if cfg.get('train_dataloader') else None
    if not masking:
        return None
    try:
        return masking, TRANSFORMS.build(dict(masking)).counts
    except Exception:  # checked, with a clear message, by StartupCheckHook
        return None


def model_lines(model, cfg) -> List[str]:
    """Student, teacher and loss lines of a :class:`MaskedDistiller`."""
    geo = model.backbone.geometry
    masks = masking_counts(cfg)
    student = (f'student: {type(model.backbone).__name__} {model.backbone.embed_dims}-d, '
               f'{len(model.backbone._blocks)} blocks, {geo.describe()}')
    if masks is not None:
        masking, (visible, diff, hidden) = masks
        student += (f'; sees {visible} of {geo.num_tokens} tokens per sample '
                    f'(student_mask_ratio={masking.get("student_mask_ratio", 0.75)})')
    lines = [student]
    teacher = model.teacher
    if teacher is not None:
        depth = teacher.depth  # any teacher family (amd_mm.models.teachers.BaseTeacher)
        blocks = list(teacher.feature_blocks)
        checkpoint = getattr(teacher, 'checkpoint', None)
        source = (f'from {osp.basename(str(checkpoint))}' if checkpoint
                  else 'with no checkpoint (random weights)')
        users = []
        if model.backbone.feature_blocks:
            users.append(f'student blocks {list(model.backbone.feature_blocks)}')
        if len(model.neck.generators):
            users.append(f'{len(model.neck.generators)} generator(s)')
        own = getattr(teacher, 'backbone', None)  # FrozenTeacher: amd_mm's own ViT
        name = type(own).__name__ if own is not None else teacher.describe()
        line = (f'teacher: {name} {teacher.embed_dims}-d, '
                f'{depth} blocks, {source}; its blocks {blocks} (1-indexed, {depth} is '
                f'the last) are the targets of {" and ".join(users)}'
                f'; runs {max(blocks)} of its {depth} blocks')
        if masks is not None:
            line += (f'; sees {visible + diff} of {geo.num_tokens} tokens per sample '
                     f'({visible} student-visible + {diff} diff, teacher_mask_ratio='
                     f'{masking.get("teacher_mask_ratio", 0.5)})')
        lines.append(line)
    else:
        lines.append('teacher: none (plain MAE)')
    terms = []
    for attr, name in _TERMS:
        loss = getattr(model.head, attr, None)
        if loss is None:
            continue
        what = dict(loss_pixel='pixels at the student-masked tokens',
                    loss_direct=f'mean over {model.neck.num_layer_pairs} layer pair(s)',
                    loss_gen=f'mean over {len(model.neck.generators)} generator(s)')[name]
        terms.append(f'{model.term_names.get(name, name)} = {loss.loss_weight} x '
                     f'{loss.criterion} ({what})')
    lines.append('loss: ' + ('; '.join(terms) or 'no terms') + ' (total: their sum)')
    return lines


def schedule_line(runner) -> Optional[str]:
    """Warm-up length against the run's length, both in iterations."""
    schedulers = runner.param_schedulers or []
    if isinstance(schedulers, dict):
        schedulers = [s for group in schedulers.values() for s in group]
    warmups = [part for s in schedulers for part in getattr(s, 'schedulers', [s])
               if type(part).__name__ == 'LinearLR']
    if not warmups:
        return None
    part = warmups[0]
    total = runner.max_iters
    epochs = getattr(runner.train_loop, 'max_epochs', None)
    unit_length = total // epochs if part.by_epoch and epochs else 1
    # WarmupCosineLR's LinearLR reaches the base lr at its last step (end - 1)
    base_at = (part.end - 1) * unit_length
    if base_at >= total:
        return (f'schedule: the run ends inside its warm-up (the lr reaches its base value '
                f'at iteration {base_at + 1}, max_iters={total}): it never trains at '
                'the configured lr')
    return f'schedule: warm-up {base_at} of {total} iterations, then cosine'


@HOOKS.register_module()
class RunSummaryHook(Hook):
    """Log, once at start-up, one line each: world size and device; for a
    masked-distillation model the student (grid, visible tokens), the
    teacher (family, blocks used of its depth, tokens it sees), the loss
    terms and weights; the warm-up against the run's length (a warning when
    the run ends inside it). A default hook of
    ``configs/_base_/default_runtime.py`` (``default_hooks.run_summary``)."""
    priority = 'VERY_HIGH'

    def before_run(self, runner) -> None:
        logger = runner.logger
        logger.info(environment_line(runner))
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if hasattr(model, 'geometry') and hasattr(model, 'teacher'):
            for line in model_lines(model, runner.cfg):
                logger.info(line)

    def before_train(self, runner) -> None:
        line = schedule_line(runner)
        if line is None:
            return
        if 'inside its warm-up' in line:
            runner.logger.warning(line)
        else:
            runner.logger.info(line)
