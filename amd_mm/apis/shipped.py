"""The shipped teachers and students: where they are, their recorded
SHA-256, and how they are re-made (a teacher from scratch with its config,
the students exported from the image demo's runs), each as an fp16 backbone."""
import json
import os
import os.path as osp
import time

import torch
from mmengine.config import Config

from amd_mm.converters import load_checkpoint, unwrap_state_dict
from amd_mm.converters.io import file_sha256 as sha256  # noqa: F401 (also used by the demos)
# the checkout (editable install): configs/, checkpoints/, data/, work_dirs/
from amd_mm.paths import CHECKOUT as ROOT

# recipe -> (teacher config, the AMD config that records the shipped file)
RECIPES = {
    'fashion-mnist': ('configs/mae/mae_vit-tiny-p4_1xb64-8k_fashion-mnist.py',
                      'configs/amd/amd_vit-nano-p4_fashion-mnist.py'),
    'moving-fashion-mnist': ('configs/mae/videomae_vit-micro-p16_moving-fashion-mnist.py',
                             'configs/amd/amd_vit-nano-p16_moving-fashion-mnist.py'),
}
TEACHER_CONFIG, CONSUMER_CONFIG = RECIPES['fashion-mnist']

STUDENT_CONFIGS = dict(mae='configs/mae/mae_vit-nano-p4_fashion-mnist.py',
                       amd='configs/amd/amd_vit-nano-p4_fashion-mnist.py')
PRETRAIN_ITERS = 1000  # the image demo's default --iters
STUDENT_TABLE = osp.join(ROOT, 'checkpoints', 'students.json')


def shipped_teacher(recipe='fashion-mnist'):
    """``(path, sha256)`` of the recipe's shipped teacher, as its AMD config
    records them (``teacher_checkpoint``, ``teacher_sha256``)."""
    if recipe not in RECIPES:
        raise KeyError(f'recipe={recipe!r} is not one of {sorted(RECIPES)}')
    cfg = Config.fromfile(osp.join(ROOT, RECIPES[recipe][1]))
    return osp.join(ROOT, cfg.teacher_checkpoint), cfg.teacher_sha256


def export_backbone_fp16(ckpt, out, meta):
    """The ``backbone.*`` weights of a Runner checkpoint in fp16 (what
    ``FrozenTeacher`` and a fine-tune need; the MAE decoder is left out)."""
    state = unwrap_state_dict(load_checkpoint(ckpt))
    backbone = {k: v.half() if v.is_floating_point() else v
                for k, v in state.items() if k.startswith('backbone.')}
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    torch.save({'state_dict': backbone, 'meta': meta}, out)
    return out


def make_teacher(work_dir, data_root=None, iters=None, workers=1, out_dir=None, options=None,
                 recipe='fashion-mnist'):
    """Train the recipe's teacher and export it; returns ``(fp16 checkpoint,
    loss history)``. ``iters`` shortens the run (tests); ``data_root`` is
    the dataset's ``data_root`` (images) or its video list folder (videos:
    ``train_class.txt`` and ``videos/``)."""
    from mmengine.runner import Runner

    from .runs import loss_history
    config = RECIPES[recipe][0]
    cfg = Config.fromfile(osp.join(ROOT, config))
    merged = {'train_dataloader.num_workers': workers,
              'train_dataloader.persistent_workers': workers > 0}
    if data_root is not None and cfg.train_dataloader.dataset.get('data_prefix'):
        merged['train_dataloader.dataset.ann_file'] = osp.join(data_root, 'train_class.txt')
        merged['train_dataloader.dataset.data_prefix.video'] = osp.join(data_root, 'videos')
    elif data_root is not None:
        merged['train_dataloader.dataset.data_root'] = data_root
    if iters is not None:
        warmup = iters // 20  # 0: none (a 1-iteration LinearLR never leaves start_factor)
        merged.update({'train_cfg.max_iters': iters, 'param_scheduler.warmup': warmup,
                       'default_hooks.checkpoint.interval': iters,
                       'default_hooks.logger.interval': max(1, iters // 10)})
    merged.update(options or {})
    cfg.merge_from_dict(merged)
    cfg.work_dir = work_dir
    cfg.launcher = 'none'
    runner = Runner.from_cfg(cfg)
    start = time.time()
    runner.train()
    history = loss_history(runner)
    max_iters = cfg.train_cfg.max_iters
    name = osp.basename(shipped_teacher(recipe)[0])
    out = export_backbone_fp16(
        osp.join(work_dir, f'iter_{max_iters}.pth'), osp.join(out_dir or work_dir, name),
        dict(config=config, iters=max_iters, seed=cfg.randomness.seed,
             train_seconds=round(time.time() - start), torch_threads=torch.get_num_threads()))
    return out, history


# DMAE's pre-trained-vs-fine-tuned teacher question (arXiv 2208.12256, Sec. 4):
# the shipped MAE teacher fine-tuned on the train split's labels with the
# image demo's fine-tune recipe at the teacher's width, shipped in timm's
# format (safetensors) and loaded by TimmTeacher
FINETUNED_TEACHER = 'checkpoints/mae_vit-tiny-p4_fashion-mnist_ft-labels_timm_fp16.safetensors'
FINETUNE_CONFIG = 'configs/amd/benchmarks/mmpretrain/vit-nano-p4_ft-fashion-mnist.py'
FINETUNE_TEACHER_ITERS = 1500


def make_finetuned_teacher(work_dir, data_root=None, iters=FINETUNE_TEACHER_ITERS, workers=1,
                           out=None):
    """Fine-tune the shipped teacher on labels and write its encoder as timm
    weights in fp16; returns ``(file, val top-1 %)``."""
    from mmengine.runner import Runner
    from safetensors.torch import save_file
    from amd_mm.converters import export_file, to_timm
    teacher, digest = checked_teacher()
    start = time.time()
    init = export_file(teacher, osp.join(work_dir, 'teacher_mmpretrain.pth'), to='mmpretrain')
    arch = Config.fromfile(osp.join(ROOT, CONSUMER_CONFIG)).teacher_arch
    cfg = Config.fromfile(osp.join(ROOT, FINETUNE_CONFIG))
    options = {'model.backbone.arch': arch, 'model.head.in_channels': arch['embed_dims'],
               'model.backbone.init_cfg.checkpoint': init, 'randomness.seed': 0,
               'train_cfg.max_iters': iters, 'train_cfg.val_interval': iters,
               'param_scheduler.warmup': iters // 10, 'param_scheduler.end': iters,
               'default_hooks.checkpoint.interval': iters}
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        options.update({f'{loader}.num_workers': workers,
                        f'{loader}.persistent_workers': workers > 0})
        if data_root is not None:
            options[f'{loader}.dataset.data_root'] = data_root
    cfg.merge_from_dict(options)
    cfg.work_dir, cfg.launcher = work_dir, 'none'
    runner = Runner.from_cfg(cfg)
    runner.train()
    val = float(runner.message_hub.get_scalar('val/accuracy/top1').current())
    weights = to_timm(load_checkpoint(osp.join(work_dir, f'iter_{iters}.pth')))['model']
    out = out or osp.join(work_dir, osp.basename(FINETUNED_TEACHER))
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    # metadata without times or paths: the same run gives the same bytes
    save_file({k: v.half().contiguous() for k, v in weights.items()}, out,
              metadata=dict(format='timm', made_by='tools/make_teacher.py --recipe '
                            'fashion-mnist-finetuned', teacher_sha256=digest,
                            config=FINETUNE_CONFIG, iters=str(iters), val_top1=f'{val:.2f}'))
    say_time = (time.time() - start) / 60
    print(f'fine-tuned teacher: val top-1 {val:.2f}% after {iters} iterations, '
          f'{say_time:.1f} min; {out}')
    return out, val


def student_name(method, seed, iters=PRETRAIN_ITERS):
    """``amd_vit-nano-p4_1xb64-1k_fashion-mnist_seed0_fp16.pth``, named like the teacher."""
    if method not in STUDENT_CONFIGS:
        raise ValueError(f'student method {method!r}: expected one of {sorted(STUDENT_CONFIGS)}')
    return f'{method}_vit-nano-p4_1xb64-{iters // 1000}k_fashion-mnist_seed{seed}_fp16.pth'


def read_table(path=STUDENT_TABLE):
    """``{file name: sha256}`` of the shipped students (empty when none)."""
    if not osp.isfile(path):
        return {}
    with open(path) as f:
        return {row['file']: row['sha256'] for row in json.load(f)['students']}


def shipped_student(method, seed, table=STUDENT_TABLE):
    """``(path, sha256)`` of a shipped student; raises when it is not shipped
    or its bytes differ from the recorded hash."""
    name = student_name(method, seed)
    expected = read_table(table).get(name)
    path = osp.join(osp.dirname(table), name)
    if expected is None or not osp.isfile(path):
        raise FileNotFoundError(
            f'student {method} seed {seed}: {path} is not shipped (no file or no row in '
            f'{table}); make it with: python tools/export_students.py --seeds {seed}')
    actual = sha256(path)
    if actual != expected:
        raise RuntimeError(f'student {path}: SHA-256 {actual} differs from the recorded '
                           f'{expected} in {table}')
    return path, actual


def export_students(demo_dir, seeds, out_dir, methods=tuple(STUDENT_CONFIGS)):
    """Export every (method, seed) student; missing Runner checkpoints are
    made by the image demo first. Returns the table rows written."""
    missing = sorted({s for s in seeds for m in methods if not osp.isfile(
        osp.join(demo_dir, f'seed{s}', m, f'iter_{PRETRAIN_ITERS}.pth'))})
    if missing:
        from . import demo_image
        demo_image.main(['--work-dir', demo_dir, '--methods', ','.join(methods),
                         '--seeds', ','.join(map(str, missing)), '--iters', str(PRETRAIN_ITERS)])
    rows = []
    for seed in seeds:
        for method in methods:
            src = osp.join(demo_dir, f'seed{seed}', method, f'iter_{PRETRAIN_ITERS}.pth')
            dst = osp.join(out_dir, student_name(method, seed))
            # meta without times or paths: the same run gives the same bytes
            export_backbone_fp16(src, dst, dict(config=STUDENT_CONFIGS[method],
                                                iters=PRETRAIN_ITERS, seed=seed,
                                                made_by='tools/demo.py'))
            rows.append(dict(method=method, seed=seed, file=osp.basename(dst),
                             sha256=sha256(dst), config=STUDENT_CONFIGS[method]))
    table = osp.join(out_dir, 'students.json')
    old = [r for r in (json.load(open(table))['students'] if osp.isfile(table) else [])
           if r['file'] not in {n['file'] for n in rows}]
    with open(table, 'w') as f:
        json.dump({'students': sorted(old + rows, key=lambda r: (r['method'], r['seed']))},
                  f, indent=1)
        f.write('\n')
    return rows


def checked_teacher(recipe='fashion-mnist', what='teacher'):
    """``(path, sha256)`` of the recipe's shipped teacher, after its SHA-256
    is checked against the one its AMD config records; ``what`` names it in
    errors."""
    path, expected = shipped_teacher(recipe)
    consumer = RECIPES[recipe][1]
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'shipped {what} {path} is missing (teacher_checkpoint in {consumer}); re-make it '
            f'with: python tools/make_teacher.py --recipe {recipe} (or a demo\'s --retrain-teacher)')
    actual = sha256(path)
    if actual != expected:
        raise RuntimeError(f'shipped {what} {path}: SHA-256 {actual} differs from the '
                           f'recorded teacher_sha256={expected} in {consumer}')
    return path, actual
