"""What the demos share: progress lines with an ETA, the torch thread guard,
the overrides of a short pre-training run, training through the stock Runner
with the loss curves kept, and the loop over students that survives one
method's crash."""
import os.path as osp
import time
import traceback

import torch
from mmengine.runner import Runner


def say(message):
    print(f'[demo {time.strftime("%H:%M:%S")}] {message}', flush=True)


class Progress:
    """Stage lines with an ETA: the remaining work's estimated seconds,
    rescaled by how the run's real time compares with the estimate so far."""

    def __init__(self, total_units):
        self.total, self.done, self.start = total_units, 0.0, time.time()

    def stage(self, message):
        elapsed = time.time() - self.start
        remaining = max(0.0, self.total - self.done)
        eta = f', ETA {elapsed / self.done * remaining / 60:.1f} min' if self.done else ''
        say(f'{message} [{elapsed / 60:.1f} min elapsed{eta}]')

    def advance(self, units):
        self.done += units


def run_with_threads(run_fn, args):
    """``run_fn(args)`` with torch at ``args.threads`` threads, restored after.

    The demos default to one thread: their models are too small for a second
    one to help on 2 cores, and when the other core is busy (a loader worker,
    another job) a second thread is catastrophic (a tiny-ViT MAE step
    measured 0.34 s with 1 thread and 5.05 s with 2 on the same machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(args.threads)
    try:
        return run_fn(args)
    finally:
        torch.set_num_threads(threads)


def run_options(args, iters, seed=None, dbot_stage=False):
    """Overrides every demo pre-training/fine-tuning run shares: seed, loader
    workers, an ``iters``-long warm-up + cosine schedule, one checkpoint."""
    warmup = iters // 20  # 0: none (a 1-iteration LinearLR never leaves start_factor)
    return {
        'train_dataloader.batch_size': args.batch_size,
        'train_dataloader.num_workers': args.workers,
        'train_dataloader.persistent_workers': False,
        'randomness.seed': args.seed if seed is None else seed,
        'train_cfg.max_iters': iters,
        'param_scheduler.warmup': warmup,
        'param_scheduler.end': iters // 2 if dbot_stage else iters,
        'default_hooks.checkpoint.interval': iters,
        'default_hooks.logger.interval': max(1, iters // 10)}


def finish_cfg(cfg, work_dir):
    cfg.work_dir = work_dir
    cfg.launcher = 'none'
    cfg.model.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    return cfg


def loss_history(runner):
    """The run's logged ``loss*`` curves, by name."""
    return {key[len('train/'):]: list(map(float, buffer.data[0]))
            for key, buffer in runner.message_hub.log_scalars.items()
            if key.startswith('train/loss')}


def train_with_history(cfg):
    """Train with the stock Runner; the final checkpoint and the loss curves."""
    runner = Runner.from_cfg(cfg)
    runner.train()
    history = loss_history(runner)
    return osp.join(cfg.work_dir, f'iter_{cfg.train_cfg.max_iters}.pth'), history, runner.model


def train_students(methods, seed, pretrain_fn, progress, seconds, log, keep=False):
    """Pre-train one student per method for ``seed`` with ``pretrain_fn(method,
    seed) -> (checkpoint, history, model)``; a crash is logged in
    ``log['failures']`` and the other methods go on. ``keep``: the loss
    curves and models also go to ``log['histories']`` / ``log['models']``
    (the first seed's, for the pictures). Returns ``{method: checkpoint}``;
    ``seconds(method)`` feeds the ETA."""
    students = {}
    for index, method in enumerate(methods, 1):
        label = log['labels'][method]
        progress.stage(f'3/5 seed {seed}: student {index}/{len(methods)}: {label}')
        try:
            students[method], history, model = pretrain_fn(method, seed)
        except Exception:  # one method's crash must not lose the others
            say(f'    {label} FAILED (seed {seed}):\n{traceback.format_exc()}')
            log['failures'].append(f'{label} (seed {seed})')
            continue
        finally:
            progress.advance(seconds(method))
        if keep:
            log['histories'][label] = history
            log['models'][method.upper()] = model
    return students
