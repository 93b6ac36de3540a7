"""One config's training step, timed part by part, with its memory and
(optionally) its FLOPs against the machine's matrix-multiply peak."""
import statistics
from collections import defaultdict
from dataclasses import dataclass, fields
from typing import Dict, List, Optional, Sequence

import torch

from .batch import build_masking, mask_transform_us, synthetic_batch
from .configs import find_views, load_config, spec_label
from .memory import release_memory, static_bytes, step_bytes
from .timing import PARTS, StepTimer, load_average, quantiles


@dataclass
class StepOptions:
    """How to build and time a step (the command line's flags)."""
    batch_size: Optional[int] = None   # loader batch; default: the config's
    views: Optional[int] = None        # RepeatedViews views; default: the config's
    steps: int = 10
    warmup: int = 3
    device: str = 'cpu'
    cfg_options: Optional[dict] = None
    input_shape: Optional[Sequence[int]] = None
    amp: Optional[str] = None          # 'bf16' or 'fp16' autocast (CUDA)
    compile: bool = False              # MMEngine's `compile` key: train_step compiled
    with_cp: bool = False
    teacher_full: bool = False
    breakdown: bool = True
    flops: bool = False

    @classmethod
    def from_args(cls, args) -> 'StepOptions':
        """From an argparse namespace (``no_breakdown`` -> ``breakdown``)."""
        values = {f.name: getattr(args, f.name) for f in fields(cls)
                  if hasattr(args, f.name)}
        if hasattr(args, 'no_breakdown'):
            values['breakdown'] = not args.no_breakdown
        return cls(**values)


def device_name(device: torch.device) -> str:
    if device.type == 'cuda':
        return torch.cuda.get_device_name(device)
    threads = torch.get_num_threads()
    return f"CPU ({threads} thread{'s' if threads > 1 else ''})"


def compile_train_step(model, compile_cfg):
    """``model.train_step`` compiled as MMEngine's Runner does for a config's
    ``compile`` key (True or ``torch.compile`` kwargs)."""
    kwargs = {} if compile_cfg is True else dict(compile_cfg)
    model.train_step = torch.compile(model.train_step, **kwargs)


class StepBench:
    """One config's model, optimizer and batch, stepped on demand, so that
    several configs can be timed one after the other or interleaved step by
    step (then a passing load on a shared machine hits them all alike)."""

    def __init__(self, spec: str, options: StepOptions, label: Optional[str] = None):
        from mmengine.optim import build_optim_wrapper
        from mmengine.registry import init_default_scope
        from mmpretrain.registry import MODELS

        self.options = opts = options
        cfg = load_config(spec, opts.cfg_options, opts.with_cp, opts.amp, opts.device,
                          opts.views)
        init_default_scope(cfg.get('default_scope', 'mmpretrain'))
        self.device = torch.device(opts.device)
        self.cuda = self.device.type == 'cuda'
        batch = opts.batch_size or cfg.train_dataloader.batch_size
        views = find_views(cfg)
        # batch counts clips: loader batch (videos) x RepeatedViews views
        self.row = dict(label=label or spec_label(spec), spec=spec,
                        batch=batch * views, loader_batch=batch, views=views,
                        device=device_name(self.device), steps=opts.steps,
                        warmup=opts.warmup,
                        has_teacher=bool(cfg.model.get('teacher')),
                        amp_dropped=bool(cfg.get('amp_dropped', False)))

        torch.manual_seed(0)
        model = MODELS.build(cfg.model)
        model.init_weights()
        self.model = model.to(self.device).train()
        self.optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
        masking = build_masking(cfg)
        self.data = synthetic_batch(model, masking, batch, opts.input_shape,
                                    pin=self.cuda, views=views)
        self.row['input_shape'] = tuple(self.data['inputs'].shape)
        self.row['mask_us'] = mask_transform_us(masking)
        self.row['params_m'] = sum(p.numel() for p in model.parameters()
                                   if p.requires_grad) / 1e6
        self.flops = None
        if opts.flops:  # before compiling: counted eagerly, once
            from .flops import count_step_flops
            self.flops = count_step_flops(model, self.data, self.optim_wrapper)
        compile_cfg = True if opts.compile else cfg.get('compile')
        self.row['compiled'] = bool(compile_cfg)
        if compile_cfg:
            compile_train_step(model, compile_cfg)
        self.timer = StepTimer(self.cuda)
        # per-part timers would break the compiled graph at every part
        self.breakdown = opts.breakdown and not compile_cfg
        if self.breakdown:
            self.timer.wrap_step(model, self.optim_wrapper)
        self.totals: List[float] = []
        self.parts: Dict[str, List[float]] = defaultdict(list)
        self.loads: List[float] = []
        self.full_teacher: List[float] = []

    def step(self, record: bool = True):
        """One timed training step; ``record`` adds it to the statistics."""
        self.loads.append(load_average())
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
        if (record and self.options.teacher_full
                and getattr(self.model, 'teacher', None) is not None):
            self.full_teacher.append(self._time_full_teacher())

    def finish(self) -> dict:
        """The row: times (ms), memory (MiB), and FLOPs with the machine's
        GEMM peak, measured now, right after the timed steps."""
        transient = step_bytes(lambda: self.model.train_step(self.data, self.optim_wrapper),
                               self.cuda, self.device) / 2**20
        row = self.row
        q1, median, q3 = quantiles(self.totals)
        loads = [x for x in self.loads if x is not None]
        static = static_bytes(self.model, self.optim_wrapper.optimizer) / 2**20
        row.update(step_ms=median, q1_ms=q1, q3_ms=q3, min_ms=min(self.totals),
                   max_ms=max(self.totals), samples_per_s=row['batch'] / median * 1e3,
                   parts={k: statistics.median(v) for k, v in self.parts.items()},
                   static_mem_mb=static, step_mem_mb=transient,
                   peak_mem_mb=static + transient,
                   mem_kind='CUDA allocator' if self.cuda else 'process RSS',
                   load=(min(loads), max(loads)) if loads else None)
        if self.full_teacher:
            row['teacher_full_ms'] = statistics.median(self.full_teacher)
        if self.flops is not None:
            row.update(self._utilisation(median))
        return row

    def _utilisation(self, step_ms: float) -> dict:
        from .peak import machine_peak
        dtype = dict(bf16=torch.bfloat16, fp16=torch.float16).get(self.options.amp,
                                                                 torch.float32)
        peak = machine_peak(self.flops.gemms, self.device, dtype)
        achieved = self.flops.total / (step_ms / 1e3)
        out = dict(flops=self.flops.as_dict(), peak=peak, peak_load=load_average(),
                   achieved_flops_per_s=achieved,
                   utilisation=achieved / peak.flops_per_s)
        parts = self.row.get('parts') or {}
        if parts:  # FLOP/s of each part over its own time
            times = dict(student=parts['student_fwd'] + parts['bwd_student'],
                         teacher=parts['teacher_fwd'],
                         neck_head=parts['neck_fwd'] + parts['head_loss']
                         + parts['bwd_neck_head'])
            out['part_flops_per_s'] = {
                k: out['flops'][k] / (ms / 1e3) for k, ms in times.items()
                if ms > 0 and out['flops'][k] > 0}
        return out

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


def benchmark_step(spec: str, options: StepOptions, label: Optional[str] = None) -> dict:
    """Time ``options.steps`` training steps of one config spec after
    ``options.warmup``; returns a row (times in ms, memory in MiB)."""
    bench = StepBench(spec, options, label)
    try:
        for step in range(options.warmup + options.steps):
            bench.step(record=step >= options.warmup)
        return bench.finish()
    finally:
        bench.close()


def step_in_turn(benches: Sequence, options: StepOptions) -> List[dict]:
    """Step already-built benches in turn (A B C A B C ...), warm-up
    included, and return their rows."""
    try:
        for step in range(options.warmup + options.steps):
            for bench in benches:
                bench.step(record=step >= options.warmup)
        return [bench.finish() for bench in benches]
    finally:
        for bench in benches:
            bench.close()


def benchmark_interleaved(specs: Sequence[str], options: StepOptions,
                          labels: Sequence[Optional[str]]) -> List[dict]:
    """All configs built at once and stepped in turn (A B C A B C ...)."""
    return step_in_turn([StepBench(spec, options, label)
                         for spec, label in zip(specs, labels)], options)


def benchmark_official(specs: Sequence[str], options: StepOptions,
                       labels: Sequence[Optional[str]], official_dir: str) -> List[dict]:
    """The official AMD engine's step (:mod:`.official`, on the first
    config's batch) first, then every config, all stepped in turn."""
    from .official import OfficialAMDBench
    ours = [StepBench(spec, options, label) for spec, label in zip(specs, labels)]
    return step_in_turn([OfficialAMDBench(official_dir, ours[0])] + ours, options)
