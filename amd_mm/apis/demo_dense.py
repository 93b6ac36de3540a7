"""Dense transfer of the shipped students: the pre-trained encoders
fine-tuned as a Mask R-CNN backbone (MMDetection, ViTDet recipe) and as an
UperNet backbone (MMSegmentation) on Fashion-MNIST canvases, scored with
COCO bbox/segm mAP and mIoU.

Through the stock Runner and the configs under configs/amd/benchmarks:
  1. the canvases (tools/data/fashion_canvases.py; cached under data/);
  2. per seed and encoder (random init = same architecture, no checkpoint;
     the shipped MAE and AMD students of that seed, SHA-256 checked; the
     shipped MAE teacher), Mask R-CNN fine-tuned on the train canvases,
     scored once on val (where iterations and lr were chosen) and once on
     test with mmdet's CocoMetric;
  3. the same for UperNet and mIoU (``--no-seg`` skips it);
  4. ``results.md`` (mean ± std over seeds), ``results.csv`` (per seed) and
     ``det_predictions.png`` (MMDetection's visualiser on test canvases:
     ground truth left, prediction right).

``tools/demo_det.py`` is its command line (``--help``); the results are in
docs/results/detection.md and docs/results/segmentation.md.
"""
import argparse
import os
import os.path as osp
import time
import traceback

import numpy as np
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from amd_mm.converters import export_file
from amd_mm.datasets.fashion_canvases import make_canvases
from amd_mm.evaluation import summarise, write_csv, write_markdown
from .runs import Progress, run_with_threads, say
from .shipped import ROOT, checked_teacher, shipped_student

BENCH = 'configs/amd/benchmarks/'
CONFIGS = dict(
    det=dict(student=BENCH + 'mmdet/vitdet_mask-rcnn_vit-nano-p4_fashion-canvas.py',
             teacher=BENCH + 'mmdet/vitdet_mask-rcnn_vit-tiny-p4_fashion-canvas.py'),
    seg=dict(student=BENCH + 'mmseg/upernet_vit-nano-p4_fashion-canvas.py',
             teacher=BENCH + 'mmseg/upernet_vit-tiny-p4_fashion-canvas.py'))
ENCODERS = dict(random='random init', mae='MAE student', amd='AMD student',
                teacher='MAE teacher')
METRICS = ('bbox_mAP', 'segm_mAP', 'bbox_mAP_50', 'mIoU',
           'bbox_mAP_val', 'segm_mAP_val', 'mIoU_val')
COLUMNS = [('bbox mAP', 'bbox_mAP'), ('segm mAP', 'segm_mAP'), ('bbox mAP@50', 'bbox_mAP_50'),
           ('mIoU', 'mIoU'), ('val: bbox mAP', 'bbox_mAP_val'), ('val: mIoU', 'mIoU_val')]
# measured seconds per iteration (2 cores, 1 thread, batch 8, 64x64) and per
# scoring of val + test; only ratios matter (the ETA rescales by real time)
SECONDS = dict(det=0.5, seg=0.22, det_score=40, seg_score=12, teacher_factor=1.5)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default=osp.join(ROOT, 'work_dirs', 'demo_det'))
    parser.add_argument('--seeds', default='0', help='comma-separated fine-tune seeds')
    parser.add_argument('--encoders', default='random,mae,amd,teacher',
                        help=f'comma-separated, of {",".join(ENCODERS)}')
    parser.add_argument('--no-seg', action='store_true', help='detection only')
    parser.add_argument('--no-det', action='store_true', help='segmentation only')
    parser.add_argument('--det-iters', type=int, default=300)
    parser.add_argument('--seg-iters', type=int, default=300)
    parser.add_argument('--det-lr', type=float, default=None, help="default: the config's")
    parser.add_argument('--seg-lr', type=float, default=None, help="default: the config's")
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--canvas-size', type=int, default=64)
    parser.add_argument('--canvases', default='2000,300,300', help='train,val,test counts')
    parser.add_argument('--data-seed', type=int, default=0, help='seed of the canvases')
    parser.add_argument('--data', default=None, help='canvas root (default data/fashion_canvases)')
    parser.add_argument('--skip-test', action='store_true',
                        help='val only (for choosing iterations and lr)')
    parser.add_argument('--threads', type=int, default=1)
    args = parser.parse_args(argv)
    try:
        args.seeds = [int(s) for s in args.seeds.split(',') if s.strip()]
        args.canvases = [int(c) for c in args.canvases.split(',')]
    except ValueError:
        parser.error(f'--seeds / --canvases: expected comma-separated integers, got '
                     f'{args.seeds!r}, {args.canvases!r}')
    if len(args.canvases) != 3:
        parser.error(f'--canvases: expected train,val,test, got {args.canvases}')
    args.encoders = [e.strip() for e in args.encoders.split(',') if e.strip()]
    unknown = [e for e in args.encoders if e not in ENCODERS]
    if unknown or not args.encoders:
        parser.error(f'--encoders: unknown {unknown}; expected some of {list(ENCODERS)}')
    return args


def checkpoint_of(encoder, seed):
    """The pre-trained file of an encoder (hash checked); None for random init."""
    if encoder == 'random':
        return None
    if encoder == 'teacher':
        return checked_teacher()[0]
    return shipped_student(encoder, seed)[0]


def iters_of(task, args):
    """Fine-tune iterations of ``task`` ('det' or 'seg')."""
    return args.det_iters if task == 'det' else args.seg_iters


def tasks_of(args):
    """The tasks the run asked for, detection first."""
    return ([] if args.no_det else ['det']) + ([] if args.no_seg else ['seg'])


def _schedule(iters, lr_key, lr):
    """Warm-up then decay to the run's end, for any ``iters``."""
    warmup = max(1, min(50, iters // 10))
    options = {'train_cfg.max_iters': iters, 'train_cfg.val_interval': iters,
               'default_hooks.checkpoint.interval': iters,
               'default_hooks.logger.interval': max(1, iters // 10),
               'param_scheduler.0.end': warmup}
    if lr is not None:
        options[lr_key] = lr
    return options, warmup


def task_cfg(task, encoder, ckpt, args, seed, root, work_dir):
    """The det or seg config of one fine-tune, at the demo's data and schedule."""
    kind = 'teacher' if encoder == 'teacher' else 'student'
    cfg = Config.fromfile(osp.join(ROOT, CONFIGS[task][kind]))
    iters = iters_of(task, args)
    options, warmup = _schedule(iters, 'optim_wrapper.optimizer.lr',
                                args.det_lr if task == 'det' else args.seg_lr)
    options.update({'randomness.seed': seed, 'randomness.deterministic': False})
    root = root.rstrip('/') + '/'
    for split in ('train', 'val', 'test'):
        options[f'{split}_dataloader.batch_size'] = args.batch_size
        options[f'{split}_dataloader.dataset.data_root'] = root
    if task == 'det':
        options['param_scheduler.1.end'] = iters
        for split in ('val', 'test'):
            options[f'{split}_evaluator.ann_file'] = f'{root}annotations/instances_{split}.json'
        init = None if ckpt is None else dict(type='Pretrained', checkpoint=ckpt,
                                              prefix='backbone.')
        size = args.canvas_size
        options.update({'model.backbone.img_size': size, 'model.backbone.init_cfg': init,
                        'model.data_preprocessor.batch_augments.0.size': (size, size)})
        cfg.merge_from_dict(options)
        for split in ('val', 'test'):  # the no-op Resize that sets scale_factor
            for step in cfg[f'{split}_dataloader'].dataset.pipeline:
                if step['type'] == 'Resize':
                    step['scale'] = (size, size)
    else:
        options.update({'param_scheduler.1.begin': warmup, 'param_scheduler.1.end': iters,
                        'model.data_preprocessor.size': (args.canvas_size, ) * 2,
                        'model.backbone.img_size': (args.canvas_size, ) * 2})
        if ckpt is None:
            options['model.backbone.init_cfg'] = None
        else:  # MMSegmentation's MAE reads the export without prefix or final norm
            os.makedirs(work_dir, exist_ok=True)
            options['model.backbone.init_cfg.checkpoint'] = export_file(
                ckpt, osp.join(work_dir, 'backbone_mmseg.pth'), to='mmseg')
        cfg.merge_from_dict(options)
    cfg.work_dir = work_dir
    cfg.launcher = 'none'
    return cfg


def _metric(results, key):
    """A score from the metric's results; CocoMetric returns none at all
    when the detector kept no box on the whole split: mAP 0 then."""
    value = results.get(key)
    if value is None:
        return 0.0
    return float(value.current() if hasattr(value, 'current') else value)


def finetune(task, encoder, ckpt, args, seed, root):
    """Train, then score on val (logged at the end of training) and test."""
    work_dir = osp.join(args.work_dir, f'seed{seed}', task, encoder)
    cfg = task_cfg(task, encoder, ckpt, args, seed, root, work_dir)
    runner = Runner.from_cfg(cfg)
    runner.train()
    hub = runner.message_hub
    if task == 'det':
        row = {'bbox_mAP_val': _metric(hub.log_scalars, 'val/coco/bbox_mAP'),
               'segm_mAP_val': _metric(hub.log_scalars, 'val/coco/segm_mAP')}
        if not args.skip_test:
            metrics = runner.test()
            row.update({name: _metric(metrics, f'coco/{name}')
                        for name in ('bbox_mAP', 'bbox_mAP_50', 'segm_mAP')})
    else:  # MMSegmentation reports percentages
        row = {'mIoU_val': float(hub.get_scalar('val/mIoU').current()) / 100}
        if not args.skip_test:
            row['mIoU'] = float(runner.test()['mIoU']) / 100
    row['params_m'] = sum(p.numel() for p in runner.model.backbone.parameters()) / 1e6
    return row, runner


def predictions_picture(runner, root, path, count=6, zoom=4):
    """Ground truth (left) and prediction (right) of ``count`` test canvases,
    drawn by MMDetection's ``DetLocalVisualizer`` at ``zoom``x. The right
    side shows as many of the highest-scoring detections as the canvas has
    items (a short fine-tune keeps scores low, so a fixed threshold would
    show none or many), with their scores."""
    import torch.nn.functional as F
    from mmdet.visualization import DetLocalVisualizer
    from mmengine.structures import InstanceData
    model = runner.model.eval()
    dataset = runner.test_dataloader.dataset
    visualizer = DetLocalVisualizer(name=f'demo_det_{time.time()}')
    visualizer.dataset_meta = dataset.metainfo
    panels = []
    for index in range(min(count, len(dataset))):
        data = runner.test_dataloader.collate_fn([dataset[index]])
        with torch.no_grad():
            sample = model.test_step(data)[0]
        image = data['inputs'][0][0].numpy()
        image = np.repeat(np.kron(image, np.ones((zoom, zoom), np.uint8))[..., None], 3, -1)
        for field in ('gt_instances', 'pred_instances'):
            old = sample.get(field)
            new = InstanceData(bboxes=old.bboxes * zoom, labels=old.labels)
            masks = old.masks if field == 'pred_instances' else old.masks.to_tensor(
                torch.bool, 'cpu')
            new.masks = F.interpolate(torch.as_tensor(masks)[None].float(), scale_factor=zoom,
                                      mode='nearest')[0].bool().numpy()
            if field == 'pred_instances':
                new.scores = old.scores
                new = new[:len(sample.gt_instances)]  # sorted by score
            sample.set_field(new, field)
        visualizer.add_datasample('canvas', image, sample, draw_gt=True, draw_pred=True,
                                  pred_score_thr=0.0)
        panels.append(visualizer.get_image())
    from PIL import Image
    Image.fromarray(np.concatenate(panels, axis=0)).save(path)
    return path


def expected_seconds(task, encoder, args):
    """Seconds one fine-tune and its scoring should take (for the ETA)."""
    factor = SECONDS['teacher_factor'] if encoder == 'teacher' else 1.0
    iters = iters_of(task, args)
    return factor * SECONDS[task] * iters + SECONDS[f'{task}_score']


def estimate(args):
    """Seconds per seed of the work asked for (for the ETA)."""
    return sum(expected_seconds(task, encoder, args)
               for encoder in args.encoders for task in tasks_of(args))


def write_results(rows, failures, args, out, seconds):
    """Per-seed rows to ``results.csv``; mean ± std over seeds to ``results.md``."""
    write_csv(rows, osp.join(out, 'results.csv'))
    seeds = ','.join(map(str, args.seeds))
    train, val, test = args.canvases
    preamble = [
        f'# amd_mm dense transfer on Fashion-MNIST canvases (seeds {seeds})', '',
        f'{args.canvas_size}x{args.canvas_size} canvases of 1-5 real items: {train} train, '
        f'{val} val (the choices), {test} test (scored once). '
        + ('' if args.no_det else f'Mask R-CNN (ViTDet recipe) {args.det_iters} iterations, '
           'COCO mAP (bbox, segm); ')
        + ('' if args.no_seg else f'UperNet {args.seg_iters} iterations, mIoU (11 classes '
           'with background); ')
        + f'batch {args.batch_size}; in %; {len(args.seeds)} seed(s), mean ± std; '
        f'total {seconds / 60:.1f} min.', '']
    if failures:
        preamble += [f'Failed (see the log): {", ".join(failures)}', '']
    columns = [c for c in COLUMNS if not (args.no_seg and 'mIoU' in c[1])
               and not (args.no_det and 'mAP' in c[1])]
    summary = summarise(rows, [m for m in METRICS if any(m in r for r in rows)])
    for row in summary:
        for _, key in columns:
            row.setdefault(f'{key}_mean', float('nan'))
            row.setdefault(f'{key}_std', float('nan'))
        row.setdefault('params_m', float('nan'))
    return write_markdown(summary, out, preamble, columns)


def main(argv=None):
    return run_with_threads(run, parse_args(argv))


def run(args):
    start = time.time()
    out = args.work_dir = osp.abspath(args.work_dir)
    os.makedirs(out, exist_ok=True)
    progress = Progress(estimate(args) * len(args.seeds))
    say(f'1/4 data: Fashion-MNIST canvases {args.canvas_size}x{args.canvas_size}, '
        f'{args.canvases} (torch threads: {args.threads})')
    stage = time.time()
    root = make_canvases(args.data, None, args.canvas_size, *args.canvases, seed=args.data_seed)
    timings = {'data': time.time() - stage}
    say(f'    {root} ({timings["data"]:.1f} s)')
    rows, failures, picture = [], [], None
    tasks = tasks_of(args)
    # the picture shows the AMD student (else the first encoder) of the first seed
    picture_encoder = 'amd' if 'amd' in args.encoders else args.encoders[0]
    for seed in args.seeds:
        for encoder in args.encoders:
            row = dict(model=ENCODERS[encoder], seed=seed)
            try:
                ckpt = checkpoint_of(encoder, seed)
            except Exception as error:
                say(f'    {ENCODERS[encoder]} (seed {seed}) has no checkpoint: {error}')
                failures.append(f'{ENCODERS[encoder]} (seed {seed})')
                continue
            for number, task in enumerate(tasks, 2):
                iters = iters_of(task, args)
                progress.stage(f'{number}/4 seed {seed}: {ENCODERS[encoder]}: '
                               f'{"Mask R-CNN" if task == "det" else "UperNet"} {iters} iterations'
                               f' from {osp.relpath(ckpt, ROOT) if ckpt else "random init"}')
                stage = time.time()
                try:
                    result, runner = finetune(task, encoder, ckpt, args, seed, root)
                except Exception:  # one run's crash must not lose the others
                    say(f'    FAILED:\n{traceback.format_exc()}')
                    failures.append(f'{ENCODERS[encoder]} {task} (seed {seed})')
                    continue
                finally:
                    progress.advance(expected_seconds(task, encoder, args))
                seconds = time.time() - stage
                row.setdefault('params_m', result.pop('params_m'))  # the first task's backbone
                row.update(result)
                row[f'{task}_seconds'] = round(seconds, 1)
                timings[f'{task} {encoder} seed{seed}'] = seconds
                say(f'    {task} done in {seconds / 60:.1f} min: ' + ', '.join(
                    f'{k} {100 * v:.2f}' for k, v in result.items()))
                if (task == 'det' and picture is None and not args.skip_test
                        and encoder == picture_encoder):
                    picture = predictions_picture(runner, root,
                                                  osp.join(out, 'det_predictions.png'))
            rows.append(row)
            write_results(rows, failures, args, out, time.time() - start)  # never lose a row
    progress.stage(f'4/4 artefacts in {out}')
    table = write_results(rows, failures, args, out, time.time() - start)
    print('\n' + table)
    say(f'done in {(time.time() - start) / 60:.1f} min: results.md, results.csv'
        + (', det_predictions.png' if picture else ''))
    return rows
