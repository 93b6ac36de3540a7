#!/usr/bin/env python
"""Speed, memory and FLOPs of a training step, and the data pipeline's rate.

A training step is timed as the Runner runs it (``model.train_step``: data
preprocessor, forward, loss, backward, optimizer) on one synthetic batch
already in memory, shaped as the config's pipeline packs it, with the masks
of its ``AsymmetricMasking`` transform. Reported: median and spread over
``--steps`` steps after ``--warmup``, samples/s, memory (static and per
step), the split into parts, and with ``--flops`` the model FLOPs of the step
by part and the achieved FLOP/s as a fraction of the machine's
matrix-multiply peak. The work is done by :mod:`amd_mm.benchmark`.

Examples::

    # one config, batch 8, 10 timed steps
    python tools/analysis/benchmark.py configs/amd/vit-s_in1k.py --batch-size 8

    # side by side, ratios vs the first: amd_mm's own MAE at the same student
    # (``::mae`` drops the teacher), AMD, and AMD with activation checkpointing
    python tools/analysis/benchmark.py --compare \\
        configs/amd/amd_vit-nano-p4_fashion-mnist.py::mae \\
        configs/amd/amd_vit-nano-p4_fashion-mnist.py \\
        configs/amd/amd_vit-nano-p4_fashion-mnist.py::with_cp

    # FLOPs and the fraction of the GEMM peak (CPU: measured at the step's
    # shapes right after the timed steps; CUDA: the device's datasheet peak)
    python tools/analysis/benchmark.py configs/amd/vit-b_k400.py --flops \\
        --batch-size 1 --views 1 --steps 2 --warmup 1 --threads 2

    # on a shared machine: build all first and step them in turn
    python tools/analysis/benchmark.py --interleave --compare A.py::mae A.py

    # per-config overrides after ``::`` (key=value, as --cfg-options)
    python tools/analysis/benchmark.py --compare \\
        configs/mae/mae_vit-tiny-p4_fashion-mnist.py::model.backbone.arch.num_layers=4

    # the data pipeline's own rate with 2 workers
    python tools/analysis/benchmark.py CONFIG --data --workers 2 --no-step

A config spec is ``PATH[::key=value ...][::mae][::with_cp]``. Teacher
weights are never loaded (``model.teacher.checkpoint=None``): timings do not
depend on them and no checkpoint file is needed.
"""
import argparse
import contextlib
import logging

import torch

from amd_mm.benchmark import (StepOptions, benchmark_data, benchmark_interleaved,
                              benchmark_official, benchmark_step, report, spec_label)


def parse_args(argv=None):
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(
        description='Time a training step (and the data pipeline) of configs',
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument('configs', nargs='*', help='config specs')
    parser.add_argument('--compare', nargs='+', default=[],
                        help='more config specs, reported side by side with '
                        'ratios vs the first')
    parser.add_argument('--labels', nargs='+', help='row names, one per spec')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='overrides for every config, key=value')
    parser.add_argument('--batch-size', type=int,
                        help='the loader batch (videos for video configs, each '
                        'giving RepeatedViews.num_views clips); default: '
                        'train_dataloader.batch_size')
    parser.add_argument('--views', type=int,
                        help='views per video of RepeatedViews (video configs); '
                        'default: the config\'s')
    parser.add_argument('--steps', type=int, default=10)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--threads', type=int, help='torch CPU threads')
    parser.add_argument('--input-shape', type=int, nargs='+',
                        help='per-sample input shape, if it cannot be inferred')
    parser.add_argument('--amp', nargs='?', const='bf16', choices=['bf16', 'fp16'],
                        help='autocast (CUDA): bf16 (the default; no loss scaling) or '
                        'fp16 (dynamic loss scaling, as the official engines)')
    parser.add_argument('--compile', action='store_true',
                        help='torch.compile train_step, as MMEngine does for a '
                        "config's `compile=True` (also per spec: ::compile=True)")
    parser.add_argument('--official', metavar='DIR',
                        help='also time the official AMD engine\'s step (a checkout of '
                        'MCG-NJU/AMD in DIR) on the first config\'s batch, all '
                        'configs stepped in turn with it')
    parser.add_argument('--with-cp', action='store_true',
                        help='activation checkpointing in student and teacher')
    parser.add_argument('--teacher-full', action='store_true',
                        help='also time the teacher running all its blocks')
    parser.add_argument('--flops', action='store_true',
                        help='count the model FLOPs of a step by part and '
                        'report the fraction of the matrix-multiply peak')
    parser.add_argument('--interleave', action='store_true',
                        help='build all configs at once and step them in turn '
                        '(steadier ratios on a shared machine; needs the '
                        'memory of all models)')
    parser.add_argument('--no-breakdown', action='store_true',
                        help='no per-part timing (no CUDA syncs inside a step)')
    parser.add_argument('--data', action='store_true',
                        help='also measure the real train dataloader')
    parser.add_argument('--no-step', action='store_true',
                        help='skip the step benchmark (with --data)')
    parser.add_argument('--workers', type=int, default=2)
    parser.add_argument('--data-batches', type=int, default=20,
                        help='timed batches (at least 8 per worker)')
    parser.add_argument('--data-warmup', type=int, default=2)
    args = parser.parse_args(argv)
    args.specs = list(args.configs) + list(args.compare)
    if not args.specs:
        parser.error('give at least one config')
    if args.labels and len(args.labels) != len(args.specs):
        parser.error('--labels needs one name per config')
    if args.amp and not args.device.startswith('cuda'):
        parser.error('--amp (autocast through AmpOptimWrapper) needs CUDA')
    return args


@contextlib.contextmanager
def quiet_logs():
    """Keep weight-initialisation and optimizer messages (logged to the
    current MMLogger) out of the tables; levels are restored afterwards."""
    from mmengine.logging import MMLogger
    logger = MMLogger.get_current_instance()
    saved = [(logger, logger.level)] + [(h, h.level) for h in logger.handlers]
    for item, _ in saved:
        item.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for item, level in saved:
            item.setLevel(level)


def run(args):
    """Runs the benchmarks and prints the tables; returns (step rows, data
    rows)."""
    labels = args.labels or [None] * len(args.specs)
    options = StepOptions.from_args(args)
    step_rows, data_rows = [], []
    if not args.no_step:
        if args.official:
            step_rows = benchmark_official(args.specs, options, labels, args.official)
        elif args.interleave:
            step_rows = benchmark_interleaved(args.specs, options, labels)
        together = args.official or args.interleave
        for spec, label in zip(args.specs, labels) if not together else ():
            try:
                step_rows.append(benchmark_step(spec, options, label))
            except Exception as exc:  # one failing config must not hide the rest
                if len(args.specs) == 1:
                    raise
                step_rows.append(dict(label=label or spec_label(spec),
                                      error=f'{type(exc).__name__}: {exc}'))
        print(report.step_report(step_rows, bool(together), args.amp, args.compile))
    if args.data:
        for spec, label in zip(args.specs, labels):
            data_rows.append(benchmark_data(
                spec, args.workers, args.batch_size, args.data_batches,
                args.data_warmup, args.cfg_options, label))
        print()
        print(report.data_table(data_rows))
    return step_rows, data_rows


def main(argv=None):
    args = parse_args(argv)
    threads = torch.get_num_threads()
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        with quiet_logs():
            return run(args)
    finally:
        torch.set_num_threads(threads)


if __name__ == '__main__':
    main()
