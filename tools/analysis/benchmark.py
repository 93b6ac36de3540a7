#!/usr/bin/env python
"""Speed and memory of a training step, and of the data pipeline.

A training step is timed as the Runner runs it (``model.train_step``: data
preprocessor, forward, loss, backward, optimizer) on one synthetic batch
already in memory, shaped as the config's pipeline packs it (uint8 images
``(B, C, H, W)`` or clips ``(B, V, C, T, H, W)`` (V views per video) plus data samples carrying
the masks of its ``AsymmetricMasking`` transform). Reported: median and spread
over ``--steps`` steps after ``--warmup``, samples/s, memory (static and
per step), and the split into data preprocessor, student / teacher / neck
forward, head (loss), backward (neck+head part and student part) and
optimizer.

Examples::

    # one config, batch 8, 10 timed steps
    python tools/analysis/benchmark.py configs/amd/vit-s_in1k.py --batch-size 8

    # side by side, ratios vs the first: amd_mm's own MAE at the same student
    # (``::mae`` drops the teacher), AMD, and AMD with activation checkpointing
    python tools/analysis/benchmark.py --compare \\
        configs/amd/amd_vit-nano-p4_fashion-mnist.py::mae \\
        configs/amd/amd_vit-nano-p4_fashion-mnist.py \\
        configs/amd/amd_vit-nano-p4_fashion-mnist.py::with_cp

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
import copy
import gc
import logging
import os
import os.path as osp
import statistics
import sys
import threading
import time
from collections import defaultdict
from typing import Dict, List, Optional, Sequence

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402
import torch  # noqa: E402

VARIANTS = ('mae', 'with_cp')
# step parts in table order: (key, column title)
PARTS = (('preproc', 'preproc'), ('student_fwd', 'student fwd'),
         ('teacher_fwd', 'teacher fwd'), ('neck_fwd', 'neck fwd'),
         ('head_loss', 'head/loss'), ('bwd_neck_head', 'bwd neck+head'),
         ('bwd_student', 'bwd student'), ('optim', 'optim'),
         ('other', 'other'))
TEACHER_NOTE = ('teacher weights random (`model.teacher.checkpoint=None`): '
                'no checkpoint file is needed, and timings do not depend on '
                'the weights')


# --------------------------------------------------------------------------
# configs
# --------------------------------------------------------------------------
def parse_spec(text: str):
    """``PATH[::key=value][::variant]`` -> (path, options, variants)."""
    from mmengine.config import DictAction
    path, *parts = text.split('::')
    options, variants = {}, []
    for part in parts:
        if '=' in part:
            key, value = part.split('=', 1)
            options[key] = DictAction._parse_iterable(value)
        elif part in VARIANTS:
            variants.append(part)
        else:
            raise ValueError(f'config spec {text!r}: {part!r} is neither '
                             f'key=value nor one of {VARIANTS}')
    return path, options, variants


def resolve_path(path: str) -> str:
    """A path as given, else relative to the repository root."""
    if osp.exists(path) or osp.isabs(path):
        return path
    return osp.join(ROOT, path)


def iter_dicts(node):
    """Every dict inside nested dicts/lists (config pipelines)."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from iter_dicts(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from iter_dicts(value)


def find_transform(cfg, name: str) -> Optional[dict]:
    """The config dict (in place) of the first transform named ``name``
    (any scope prefix) in the train pipeline, nested ones included."""
    for node in iter_dicts(cfg.get('train_dataloader', {})):
        kind = node.get('type')
        if isinstance(kind, str) and kind.split('.')[-1] == name:
            return node
    return None


def find_masking(cfg) -> Optional[dict]:
    """The mask transform's config dict in the train pipeline (in place)."""
    return find_transform(cfg, 'AsymmetricMasking')


def find_views(cfg) -> int:
    """Views per sample of a ``RepeatedViews`` transform in the train
    pipeline (1 without one)."""
    node = find_transform(cfg, 'RepeatedViews')
    return 1 if node is None else int(node.get('num_views', 1))


def to_plain_mae(cfg):
    """amd_mm's MAE at the same student: the config without its teacher (no
    projections, generators, feature losses) and with symmetric masks."""
    model = cfg.model
    if model.get('type') not in ('MaskedDistiller', 'AMD'):
        raise ValueError('the `mae` variant needs a MaskedDistiller config, '
                         f"got model.type={model.get('type')!r}")
    model.teacher = None
    model.backbone.feature_blocks = ()
    model.neck.num_layers = 0
    model.neck.generator = None
    model.head.direct_loss = None
    model.head.gen_loss = None
    masking = find_masking(cfg)
    if masking is not None:
        masking['teacher_mask_ratio'] = masking.get('student_mask_ratio', 0.75)


def load_config(spec: str, args):
    """The config of one spec with the command line's settings applied."""
    from mmengine.config import Config
    path, options, variants = parse_spec(spec)
    cfg = Config.fromfile(resolve_path(path))
    if args.cfg_options:
        cfg.merge_from_dict(copy.deepcopy(args.cfg_options))
    if options:
        cfg.merge_from_dict(options)
    if cfg.get('data_preprocessor') is not None:
        cfg.model.setdefault('data_preprocessor', cfg.data_preprocessor)
    if 'mae' in variants:
        to_plain_mae(cfg)
    if cfg.model.get('teacher'):
        cfg.model.teacher.checkpoint = None
    if args.with_cp or 'with_cp' in variants:
        set_with_cp(cfg)
    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.dtype = 'bfloat16'
    elif (cfg.optim_wrapper.get('type') == 'AmpOptimWrapper'
          and not str(args.device).startswith('cuda')):
        # mmengine's AmpOptimWrapper refuses to run on CPU: time fp32 there
        cfg.optim_wrapper.type = 'OptimWrapper'
        for key in ('loss_scale', 'dtype', 'use_fsdp'):
            cfg.optim_wrapper.pop(key, None)
        cfg.amp_dropped = True
    return cfg


def set_with_cp(cfg):
    """Activation checkpointing in the student and the teacher backbone
    (amd_mm's ViTs; mmpretrain's MAEViT has no such switch)."""
    from mmpretrain.registry import MODELS
    from amd_mm.models.backbones.masked_encoder import MaskedEncoderMixin
    for backbone in (cfg.model.get('backbone'),
                     (cfg.model.get('teacher') or {}).get('backbone')):
        if backbone is None:
            continue
        cls = MODELS.get(backbone['type'])
        if cls is None or not issubclass(cls, MaskedEncoderMixin):
            raise ValueError(f"with_cp: backbone type {backbone['type']!r} "
                             'is not an amd_mm masked ViT')
        backbone['with_cp'] = True


def spec_label(spec: str) -> str:
    path, options, variants = parse_spec(spec)
    name = osp.splitext(osp.basename(path))[0]
    extras = [f'{k.split(".")[-1]}={v}' for k, v in options.items()] + variants
    return name + (f' [{", ".join(extras)}]' if extras else '')


# --------------------------------------------------------------------------
# synthetic batch
# --------------------------------------------------------------------------
def build_masking(cfg):
    from mmpretrain.registry import TRANSFORMS
    node = find_masking(cfg)
    return TRANSFORMS.build(copy.deepcopy(node)) if node is not None else None


def infer_input_shape(model, masking, views: int = 1) -> tuple:
    """Per-sample input shape from the patch embedding and the token grid:
    (C, H, W) for a 2-D patch embedding, (views, C, T, H, W) for a 3-D one."""
    embed = model.backbone.patch_embed
    proj = getattr(embed, 'projection', None) or getattr(embed, 'proj')
    kernel = tuple(proj.kernel_size)
    if masking is not None:
        grid = tuple(masking.input_size)  # (T, H, W), T=1 for images
    else:
        grid = (1, ) + tuple(model.backbone.patch_resolution)
    if len(kernel) == 3:
        return (views, proj.in_channels) + tuple(g * k for g, k in zip(grid, kernel))
    return (proj.in_channels, grid[-2] * kernel[0], grid[-1] * kernel[1])


def synth_batch(model, masking, batch_size: int, input_shape=None, seed=0,
                pin=False, views: int = 1) -> dict:
    """One batch as ``default_collate`` gives it: uint8 inputs and
    DataSamples with the pipeline's masks (none for mmpretrain's MAE, which
    masks inside its backbone); ``views`` > 1: one mask per view, as
    ``RepeatedViews`` packs them."""
    from mmpretrain.structures import DataSample
    shape = tuple(input_shape) if input_shape else infer_input_shape(model, masking, views)
    gen = torch.Generator().manual_seed(seed)
    inputs = torch.randint(0, 256, (batch_size, ) + shape, dtype=torch.uint8,
                           generator=gen)
    if pin:
        inputs = inputs.pin_memory()
    samples = []
    for _ in range(batch_size):
        sample = DataSample()
        if masking is not None:
            outs = [masking.transform({}) for _ in range(views)]
            out = {k: (np.stack([o[k] for o in outs]) if views > 1 else outs[0][k])
                   for k in outs[0]}
            sample.set_mask(out.pop('mask'))
            for key, value in out.items():
                sample.set_field(value, key)
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def mask_transform_us(masking, repeats: int = 200) -> Optional[float]:
    """Per-sample cost of the mask transform (microseconds)."""
    if masking is None:
        return None
    masking.transform({})
    start = time.perf_counter()
    for _ in range(repeats):
        masking.transform({})
    return (time.perf_counter() - start) / repeats * 1e6


# --------------------------------------------------------------------------
# timing and memory
# --------------------------------------------------------------------------
class StepTimer:
    """Accumulates wall time per step part by wrapping bound methods.

    Module calls are synchronised on CUDA so that each part is charged its own
    kernels. Backward is split where the first gradient reaches one of the
    student's outputs: the autograd engine runs the later (neck, head) nodes
    before the earlier (student) ones, so the time before that point is the
    neck+head backward and the rest the student's.
    """

    def __init__(self, cuda: bool):
        self.cuda = cuda
        self.parts: Dict[str, float] = defaultdict(float)
        self._boundary: Optional[float] = None

    def sync(self):
        if self.cuda:
            torch.cuda.synchronize()

    def now(self) -> float:
        self.sync()
        return time.perf_counter()

    def reset(self):
        self.parts = defaultdict(float)
        self._boundary = None

    def wrap(self, owner, name: str, key: str, student: bool = False):
        fn = getattr(owner, name)

        def timed(*args, **kwargs):
            start = self.now()
            out = fn(*args, **kwargs)
            self.parts[key] += self.now() - start
            if student and torch.is_grad_enabled():
                for tensor in _tensors(out):
                    if tensor.requires_grad:
                        tensor.register_hook(self._mark_boundary)
            return out

        setattr(owner, name, timed)

    def _mark_boundary(self, grad):
        if self._boundary is None:
            self._boundary = self.now()

    def wrap_backward(self, optim_wrapper):
        fn = optim_wrapper.backward

        def timed(*args, **kwargs):
            self._boundary = None
            start = self.now()
            out = fn(*args, **kwargs)
            end = self.now()
            split = self._boundary if self._boundary is not None else end
            self.parts['bwd_neck_head'] += split - start
            self.parts['bwd_student'] += end - split
            return out

        optim_wrapper.backward = timed


def _tensors(out):
    if isinstance(out, torch.Tensor):
        yield out
    elif isinstance(out, (list, tuple)):
        for item in out:
            yield from _tensors(item)
    elif isinstance(out, dict):
        for item in out.values():
            yield from _tensors(item)


class PeakRSS:
    """Peak resident memory of this process, sampled by a thread (the
    kernel's ru_maxrss cannot be reset between configs)."""

    def __init__(self, interval: float = 0.005):
        import psutil
        self.process = psutil.Process()
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()

    def _poll(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(self.interval)

    def __enter__(self):
        self.peak = self.process.memory_info().rss
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)


def compile_parts(model):
    """torch.compile the timed parts in place (the timers stay outside the
    compiled graphs)."""
    import numpy as np
    for module in model.modules():
        # mmpretrain stores drop-path rates as numpy scalars, which dynamo
        # turns into tensors whose guards fail under inference mode (teacher)
        if isinstance(getattr(module, 'drop_prob', None), np.generic):
            module.drop_prob = float(module.drop_prob)
    targets = [(model.backbone, 'forward'), (model.neck, 'forward'),
               (model.head, 'loss')]
    if getattr(model, 'teacher', None) is not None:
        targets.append((model.teacher.backbone, 'forward_tokens'))
    for owner, name in targets:
        setattr(owner, name, torch.compile(getattr(owner, name)))


def quantiles(values: Sequence[float]):
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0], ordered[0], ordered[0]
    q1, q2, q3 = statistics.quantiles(ordered, n=4, method='inclusive')
    return q1, q2, q3


# --------------------------------------------------------------------------
# one config
# --------------------------------------------------------------------------
class StepBench:
    """One config's model, optimizer and batch, stepped on demand, so that
    several configs can be timed one after the other or interleaved step by
    step (then a passing load on a shared machine hits them all alike)."""

    def __init__(self, spec: str, args, label: Optional[str] = None):
        from mmengine.optim import build_optim_wrapper
        from mmengine.registry import init_default_scope
        from mmpretrain.registry import MODELS

        import amd_mm  # noqa: F401  (registers the modules)

        self.args = args
        cfg = load_config(spec, args)
        init_default_scope(cfg.get('default_scope', 'mmpretrain'))
        self.device = torch.device(args.device)
        self.cuda = self.device.type == 'cuda'
        batch = args.batch_size or cfg.train_dataloader.batch_size
        views = find_views(cfg)
        # batch counts clips: loader batch (videos) x RepeatedViews views
        self.row = dict(label=label or spec_label(spec), spec=spec,
                        batch=batch * views, loader_batch=batch, views=views,
                        device=device_name(self.device), steps=args.steps,
                        warmup=args.warmup,
                        has_teacher=bool(cfg.model.get('teacher')),
                        amp_dropped=bool(cfg.get('amp_dropped', False)))

        torch.manual_seed(0)
        model = MODELS.build(cfg.model)
        model.init_weights()
        self.model = model.to(self.device).train()
        self.optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
        masking = build_masking(cfg)
        self.data = synth_batch(model, masking, batch, args.input_shape, pin=self.cuda,
                                views=views)
        self.row['input_shape'] = tuple(self.data['inputs'].shape)
        self.row['mask_us'] = mask_transform_us(masking)
        self.row['params_m'] = sum(p.numel() for p in model.parameters()
                                   if p.requires_grad) / 1e6

        if args.compile:
            compile_parts(model)
        self.timer = StepTimer(self.cuda)
        self.breakdown = not args.no_breakdown
        if self.breakdown:
            timer, ow = self.timer, self.optim_wrapper
            timer.wrap(model.data_preprocessor, 'forward', 'preproc')
            timer.wrap(model.backbone, 'forward', 'student_fwd', student=True)
            if getattr(model, 'teacher', None) is not None:
                timer.wrap(model.teacher, 'forward', 'teacher_fwd')
            timer.wrap(model.neck, 'forward', 'neck_fwd')
            timer.wrap(model.head, 'loss', 'head_loss')
            timer.wrap_backward(ow)
            timer.wrap(ow, 'step', 'optim')
            timer.wrap(ow, 'zero_grad', 'optim')
        self.totals: List[float] = []
        self.parts: Dict[str, List[float]] = defaultdict(list)
        self.transient = 0  # set by memory_step
        self.loads: List[float] = []
        self.full_teacher: List[float] = []

    def step(self, record: bool = True):
        """One timed training step; ``record`` adds it to the statistics."""
        self.loads.append(_load())
        timer = self.timer
        timer.reset()
        start = timer.now()
        self.model.train_step(self.data, self.optim_wrapper)
        total = (timer.now() - start) * 1e3
        if record:
            self.totals.append(total)
            if self.breakdown:
                for key, _ in PARTS[:-1]:
                    self.parts[key].append(timer.parts.get(key, 0.) * 1e3)
                self.parts['other'].append(total - sum(timer.parts.values()) * 1e3)
        # after the parts are read: it calls the (timed) data preprocessor
        teacher = getattr(self.model, 'teacher', None)
        if record and self.args.teacher_full and teacher is not None:
            self.full_teacher.append(self._time_full_teacher())

    def memory_step(self):
        """One more, untimed step that measures the memory a step adds over
        its start (activations, gradients, temporaries). On CPU the freed
        heap is first handed back to the OS so that the rise shows in the
        RSS; kept apart from the timed steps, whose pages would otherwise
        all fault in again."""
        if self.cuda:
            torch.cuda.synchronize(self.device)
            start_mem = torch.cuda.memory_allocated(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            self.model.train_step(self.data, self.optim_wrapper)
            torch.cuda.synchronize(self.device)
            peak = torch.cuda.max_memory_allocated(self.device)
        else:
            release_memory(False, collect=False)
            with PeakRSS() as sampler:
                start_mem = sampler.peak
                self.model.train_step(self.data, self.optim_wrapper)
            peak = sampler.peak
        self.transient = peak - start_mem

    def static_bytes(self) -> int:
        """Parameters, buffers and optimizer state of this model (exact)."""
        tensors = list(self.model.parameters()) + list(self.model.buffers())
        for state in self.optim_wrapper.optimizer.state.values():
            tensors += [v for v in state.values() if isinstance(v, torch.Tensor)]
        seen, total = set(), 0
        for t in tensors:
            if id(t) not in seen:
                seen.add(id(t))
                total += t.numel() * t.element_size()
        return total

    def finish(self) -> dict:
        self.memory_step()
        row = self.row
        q1, median, q3 = quantiles(self.totals)
        loads = [x for x in self.loads if x is not None]
        static = self.static_bytes() / 2**20
        transient = self.transient / 2**20
        row.update(step_ms=median, q1_ms=q1, q3_ms=q3, min_ms=min(self.totals),
                   max_ms=max(self.totals), samples_per_s=row['batch'] / median * 1e3,
                   parts={k: statistics.median(v) for k, v in self.parts.items()},
                   static_mem_mb=static, step_mem_mb=transient,
                   peak_mem_mb=static + transient,
                   mem_kind='CUDA allocator' if self.cuda else 'process RSS',
                   load=(min(loads), max(loads)) if loads else None)
        if self.full_teacher:
            row['teacher_full_ms'] = statistics.median(self.full_teacher)
        return row

    def _time_full_teacher(self) -> float:
        """ms of the teacher running all its blocks on the step's tokens
        (what DMAE's k/L teacher is compared with), under the step's
        autocast; timed next to each step so that both see the same load."""
        model = self.model
        with torch.no_grad():
            inputs = model.data_preprocessor(self.data, True)['inputs']
        if isinstance(inputs, (list, tuple)):
            inputs = torch.stack(list(inputs))
        inputs, tokens = model.split_views(inputs, self.data['data_samples'])
        backbone = model.teacher.backbone
        depth = len(backbone._blocks)
        with self.optim_wrapper.optim_context(model), torch.inference_mode():
            start = self.timer.now()
            backbone.forward_tokens(inputs, tokens.teacher_visible, (depth, ))
            return (self.timer.now() - start) * 1e3

    def close(self):
        del self.model, self.optim_wrapper, self.data, self.timer
        release_memory(self.cuda)


def benchmark_step(spec: str, args, label: Optional[str] = None) -> dict:
    """Time ``args.steps`` training steps of one config spec after
    ``args.warmup``; returns a row (times in ms, memory in MiB)."""
    bench = StepBench(spec, args, label)
    try:
        for step in range(args.warmup + args.steps):
            bench.step(record=step >= args.warmup)
        return bench.finish()
    finally:
        bench.close()


def benchmark_interleaved(specs: Sequence[str], args,
                          labels: Sequence[Optional[str]]) -> List[dict]:
    """All configs built at once and stepped in turn (A B C A B C ...)."""
    benches = [StepBench(spec, args, label) for spec, label in zip(specs, labels)]
    try:
        for step in range(args.warmup + args.steps):
            for bench in benches:
                bench.step(record=step >= args.warmup)
        return [bench.finish() for bench in benches]
    finally:
        for bench in benches:
            bench.close()


def _load() -> Optional[float]:
    """1-minute load average (other processes on a shared machine show up
    here and in a wide spread)."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def current_rss() -> int:
    import psutil
    return psutil.Process().memory_info().rss


def release_memory(cuda: bool, collect: bool = True):
    """Free what the previous config left, so that the next one's memory
    is measured from a clean baseline (glibc keeps freed heap otherwise)."""
    if collect:
        gc.collect()
    if cuda:
        torch.cuda.empty_cache()
    try:
        import ctypes
        ctypes.CDLL('libc.so.6').malloc_trim(0)
    except (OSError, AttributeError):
        pass


def benchmark_data(spec: str, args, label: Optional[str] = None) -> dict:
    """Samples/s of the config's real train dataloader with
    ``args.workers`` workers."""
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner

    import amd_mm  # noqa: F401

    cfg = load_config(spec, args)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    loader_cfg = copy.deepcopy(cfg.train_dataloader)
    batch = args.batch_size or loader_cfg.batch_size
    views = find_views(cfg)
    loader_cfg.batch_size = batch
    loader_cfg.num_workers = args.workers
    loader_cfg.persistent_workers = False
    row = dict(label=label or spec_label(spec), workers=args.workers,
               batch=batch * views, loader_batch=batch, views=views)
    dataset = loader_cfg.dataset
    while 'dataset' in dataset and 'pipeline' not in dataset:
        dataset = dataset.dataset  # dataset wrappers
    missing = _resolve_data_paths(dataset)
    if missing:
        row['error'] = 'dataset not found: ' + ', '.join(missing)
        return row
    try:
        loader = Runner.build_dataloader(loader_cfg, seed=0)
        iterator = iter(loader)

        def next_batch():
            nonlocal iterator
            try:
                return next(iterator)
            except StopIteration:
                iterator = iter(loader)
                return next(iterator)

        for _ in range(args.data_warmup):  # worker start-up, first files
            next_batch()
        # well past what the workers prefetch (2 batches each), so that the
        # rate is the steady one and not the drain of a full queue
        num_batches = max(args.data_batches, 8 * args.workers)
        row['batches'] = num_batches
        times = []
        for _ in range(num_batches):
            start = time.perf_counter()
            next_batch()
            times.append(time.perf_counter() - start)
        del iterator, loader
    except Exception as exc:  # report and go on with the other configs
        row['error'] = f'{type(exc).__name__}: {exc}'
        return row
    total = sum(times)
    row.update(samples_per_s=batch * views * len(times) / total,
               batch_ms=statistics.median(times) * 1e3,
               mask_us=mask_transform_us(build_masking(cfg)))
    return row


def _resolve_data_paths(dataset: dict) -> List[str]:
    """Make relative data paths work from any directory (they are relative
    to the repository root in amd_mm's configs); returns the missing ones."""
    paths = [(dataset, key) for key in ('data_root', 'ann_file')
             if isinstance(dataset.get(key), str) and dataset[key]]
    prefix = dataset.get('data_prefix')
    if isinstance(prefix, dict):
        paths += [(prefix, key) for key, value in prefix.items()
                  if isinstance(value, str) and value]
    missing = []
    for owner, key in paths:
        path = owner[key]
        if '://' in path or osp.isabs(path) or osp.exists(path):
            if not osp.exists(path) and '://' not in path:
                missing.append(f'{key}={path!r}')
            continue
        if key != 'data_root' and dataset.get('data_root'):
            continue  # joined with data_root by the dataset itself
        if osp.exists(osp.join(ROOT, path)):
            owner[key] = osp.join(ROOT, path)
        else:
            missing.append(f'{key}={path!r}')
    return missing


def device_name(device: torch.device) -> str:
    if device.type == 'cuda':
        return torch.cuda.get_device_name(device)
    threads = torch.get_num_threads()
    return f"CPU ({threads} thread{'s' if threads > 1 else ''})"


# --------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------
def _table(header: List[str], lines: List[List[str]]) -> str:
    widths = [max(len(h), *(len(line[i]) for line in lines)) if lines else len(h)
              for i, h in enumerate(header)]
    fmt = lambda cells: '| ' + ' | '.join(  # noqa: E731
        c.ljust(w) for c, w in zip(cells, widths)) + ' |'
    rule = '|' + '|'.join('-' * (w + 2) for w in widths) + '|'
    return '\n'.join([fmt(header), rule] + [fmt(line) for line in lines])


SUMMARY_COLUMNS = ['config', 'B', 'step ms (median)', 'IQR ms', 'min–max ms',
                   'samples/s', 'mem MiB (static + step)', 'step vs first']
BREAKDOWN_COLUMNS = ['config'] + [title for _, title in PARTS] + ['mask transform']


def batch_label(r: dict) -> str:
    """Clips per step, and how they are made when views repeat a video."""
    if r.get('views', 1) > 1:
        return f"{r['batch']} ({r['loader_batch']}×{r['views']})"
    return str(r['batch'])


def format_step_tables(rows: List[dict], args=None) -> str:
    """The summary table, the per-part table (ms, medians) and footnotes."""
    ok = [r for r in rows if 'error' not in r]
    first = ok[0]['step_ms'] if ok else None
    summary = []
    for r in rows:
        if 'error' in r:
            summary.append([r['label'], str(r.get('batch', '')), 'error: ' + r['error']]
                           + [''] * (len(SUMMARY_COLUMNS) - 3))
            continue
        summary.append([
            r['label'], batch_label(r), f"{r['step_ms']:.1f}",
            f"{r['q1_ms']:.1f}–{r['q3_ms']:.1f}",
            f"{r['min_ms']:.1f}–{r['max_ms']:.1f}",
            f"{r['samples_per_s']:.1f}",
            f"{r['peak_mem_mb']:.0f} ({r['static_mem_mb']:.0f} + {r['step_mem_mb']:.0f})",
            f"{r['step_ms'] / first:.2f}×"])
    out = [_table(SUMMARY_COLUMNS, summary)]

    with_parts = [r for r in ok if r.get('parts')]
    if with_parts:
        full = any('teacher_full_ms' in r for r in with_parts)
        header = BREAKDOWN_COLUMNS + (['teacher all blocks'] if full else [])
        lines = []
        for r in with_parts:
            cells = [r['label']]
            for key, _ in PARTS:
                value = r['parts'].get(key)
                cells.append('–' if key == 'teacher_fwd' and not r['has_teacher']
                             else f'{value:.1f}')
            if r.get('mask_us') is not None:
                pct = r['mask_us'] * r['batch'] / 1e3 / r['step_ms'] * 100
                cells.append(f"{r['mask_us'] * r['batch'] / 1e3:.2f} ({pct:.2f}%)")
            else:
                cells.append('–')
            if full:
                t = r.get('teacher_full_ms')
                cells.append('–' if t is None else
                             f"{t:.1f} (k/L cost {r['parts']['teacher_fwd'] / t:.2f})")
            lines.append(cells)
        out += ['', _table(header, lines)]

    notes = []
    if ok:
        r0 = ok[0]
        notes.append(f"Device: {r0['device']}, torch {torch.__version__}; "
                     f"median over {r0['steps']} steps after {r0['warmup']} "
                     'warm-up steps, one synthetic batch kept in memory.')
        source = ('process RSS sampled every 5 ms, freed heap trimmed '
                  'before that step' if r0['mem_kind'] == 'process RSS'
                  else 'torch.cuda.max_memory_allocated over memory_allocated '
                  'at the step start')
        notes.append('mem: static = parameters, buffers and optimizer state '
                     '(counted exactly); step = the rise of memory during one '
                     'extra, untimed step over its start (activations, '
                     f'gradients, temporaries; {source}).')
        loads = [x for r in ok if r.get('load') for x in r['load']]
        if loads and r0['mem_kind'] == 'process RSS':
            notes.append(f'1-min load average during the runs: {min(loads):.1f}–'
                         f'{max(loads):.1f} on {os.cpu_count()} CPUs.')
        if args is not None and getattr(args, 'interleave', False):
            notes.append('Interleaved: all configs built at once and stepped '
                         'in turn.')
        noisy = [r['label'] for r in ok if r['q3_ms'] - r['q1_ms'] > 0.2 * r['step_ms']]
        if noisy:
            notes.append('Noisy (IQR > 20% of the median; another load on the '
                         'machine?): ' + ', '.join(noisy) + '.')
    dropped = [r['label'] for r in ok if r.get('amp_dropped')]
    if dropped:
        notes.append('AmpOptimWrapper of the config replaced by OptimWrapper '
                     '(fp32; mmengine has no CPU autocast): ' + ', '.join(dropped) + '.')
    if any(r.get('has_teacher') for r in ok):
        notes.append(TEACHER_NOTE[0].upper() + TEACHER_NOTE[1:] + '.')
    if with_parts:
        notes.append('Parts in ms (medians): preproc = data preprocessor; '
                     'bwd split where the first gradient reaches the '
                     "student's outputs; optim = step + zero_grad; other = "
                     'the rest of train_step (loss parsing, Python); mask '
                     'transform = the pipeline mask transform for the whole '
                     'batch (and its share of a step).')
    if args is not None and (args.amp or args.compile):
        notes.append(f'bf16 autocast: {args.amp}; torch.compile: {args.compile}.')
    out += [''] + [f'* {n}' for n in notes]
    targets = target_lines(ok)
    if targets:
        out += [''] + targets
    return '\n'.join(out)


def target_lines(rows: List[dict]) -> List[str]:
    """The issue's target, AMD step <= MAE step + 1.1 x teacher forward, for
    every teacher config against a teacher-less one of the same config file
    (e.g. its ``::mae`` variant), else of the same input batch shape."""
    plain = [r for r in rows if not r['has_teacher']]
    lines = []
    for r in rows:
        if not r['has_teacher'] or not r.get('parts'):
            continue
        path = parse_spec(r['spec'])[0]
        base = next((b for b in plain if parse_spec(b['spec'])[0] == path), None)
        base = base or next((b for b in plain
                             if b['input_shape'] == r['input_shape']), None)
        if base is None:
            continue
        teacher = r['parts']['teacher_fwd']
        bound = base['step_ms'] + 1.1 * teacher
        verdict = 'met' if r['step_ms'] <= bound else 'NOT met'
        lines.append(
            f"Target for {r['label']}: step {r['step_ms']:.1f} ms vs "
            f"{base['label']} step {base['step_ms']:.1f} + 1.1 × teacher fwd "
            f"{teacher:.1f} = {bound:.1f} ms -> {verdict} "
            f"({r['step_ms'] / bound:.2f} of the bound)")
    return lines


def format_data_table(rows: List[dict]) -> str:
    header = ['config', 'workers', 'B', 'samples/s', 'ms/batch (median)',
              'mask transform µs/sample']
    lines = []
    for r in rows:
        if 'error' in r:
            lines.append([r['label'], str(r['workers']), batch_label(r),
                          r['error'], '', ''])
            continue
        lines.append([r['label'], str(r['workers']), batch_label(r),
                      f"{r['samples_per_s']:.1f}", f"{r['batch_ms']:.1f}",
                      '–' if r['mask_us'] is None else f"{r['mask_us']:.1f}"])
    return _table(header, lines)


# --------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------
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
    parser.add_argument('--steps', type=int, default=10)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--threads', type=int, help='torch CPU threads')
    parser.add_argument('--input-shape', type=int, nargs='+',
                        help='per-sample input shape, if it cannot be inferred')
    parser.add_argument('--amp', action='store_true', help='bf16 autocast (CUDA)')
    parser.add_argument('--compile', action='store_true',
                        help='torch.compile the student, teacher, neck and head')
    parser.add_argument('--with-cp', action='store_true',
                        help='activation checkpointing in student and teacher')
    parser.add_argument('--teacher-full', action='store_true',
                        help='also time the teacher running all its blocks')
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
        parser.error('--amp (bf16 autocast through AmpOptimWrapper) needs CUDA')
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


def main(argv=None):
    """Runs the benchmarks and prints the tables; returns (step rows, data
    rows)."""
    args = parse_args(argv)
    threads = torch.get_num_threads()
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        with quiet_logs():
            return _run(args)
    finally:
        torch.set_num_threads(threads)


def _run(args):
    labels = args.labels or [None] * len(args.specs)
    step_rows, data_rows = [], []
    if not args.no_step:
        if args.interleave:
            step_rows = benchmark_interleaved(args.specs, args, labels)
        for spec, label in zip(args.specs, labels) if not args.interleave else ():
            try:
                step_rows.append(benchmark_step(spec, args, label))
            except Exception as exc:  # one failing config must not hide the rest
                if len(args.specs) == 1:
                    raise
                step_rows.append(dict(label=label or spec_label(spec),
                                      error=f'{type(exc).__name__}: {exc}'))
        print(format_step_tables(step_rows, args))
    if args.data:
        for spec, label in zip(args.specs, labels):
            data_rows.append(benchmark_data(spec, args, label))
        print()
        print(format_data_table(data_rows))
    return step_rows, data_rows


if __name__ == '__main__':
    main()
