"""The official AMD training step (MCG-NJU/AMD, ``engine_for_pretraining_amd.py``)
timed beside amd_mm's on the same batch, masks, device and sizes.

The official code is not a dependency: the user points ``--official`` at a
checkout of https://github.com/MCG-NJU/AMD, and its own modules are imported
from there (``models/modeling_pretrain.py``, ``models/modeling_finetune_amd.py``,
``optim_factory.py``, ``utils.py``, the engine). Each timed step is one call of
the engine's ``train_one_epoch`` over a one-batch loader, so what is timed is
the official step itself: host-side target patches, fp16 autocast, its
boolean-mask gathers, ``loss.item()``, the GradScaler with clipping at 0.02,
and the ``torch.cuda.synchronize()`` it ends each step with.

Its inputs are what its loader gives: float clips normalised with the ImageNet
mean/std, pinned in host memory (4x the bytes of amd_mm's uint8 batch, copied
to the device inside the step, as in the official run).
"""
import contextlib
import importlib
import io
import os.path as osp
import sys
import time
import types
from typing import List

import numpy as np
import torch

from .memory import static_bytes, step_bytes
from .timing import load_average, quantiles

#: the official scripts' settings for ViT-B <- ViT-L (scripts/pretrain/*/vitb_*_pt.sh)
OFFICIAL_ARGS = dict(align_loss='l2', recfac=1.0, dirfac=1.0, genfac=1.0,
                     opt='adamw', lr=1.2e-3, weight_decay=0.05, opt_eps=1e-8,
                     opt_betas=(0.9, 0.95), momentum=None, clip_grad=0.02,
                     decoder_depth=4, generator_depth=2)


@contextlib.contextmanager
def _official_imports(repo: str):
    """Import the checkout's top-level modules (``utils``, ``models``, ...)
    and take them out of ``sys.modules`` again, so that names such as
    ``utils`` do not shadow anything else."""
    if not osp.isfile(osp.join(repo, 'engine_for_pretraining_amd.py')):
        raise FileNotFoundError(
            f'--official {repo!r}: no engine_for_pretraining_amd.py there; give the '
            'root of a checkout of https://github.com/MCG-NJU/AMD')
    before = set(sys.modules)
    sys.path.insert(0, repo)
    try:
        yield
    finally:
        sys.path.remove(repo)
        for name in set(sys.modules) - before:
            module = sys.modules[name]
            if osp.abspath(getattr(module, '__file__', '') or '').startswith(osp.abspath(repo)):
                del sys.modules[name]


def _parameter_groups(model, weight_decay):
    """The official decay / no-decay split (``optim_factory.get_parameter_groups``:
    1-D tensors, biases and ``no_weight_decay()`` names are not decayed)."""
    skip = model.no_weight_decay()
    decay, no_decay = [], []
    for name, param in model.named_parameters():
        if param.requires_grad:
            plain = param.ndim == 1 or name.endswith('.bias') or name in skip
            (no_decay if plain else decay).append(param)
    return [dict(params=decay, weight_decay=weight_decay, lr_scale=1.),
            dict(params=no_decay, weight_decay=0., lr_scale=1.)]


class OfficialAMDBench:
    """The official student, teacher, optimizer and GradScaler for the video
    ViT-B <- ViT-L recipe, stepped on ``reference``'s batch (a
    :class:`~amd_mm.benchmark.StepBench` of an AMD video config with the
    same 16x224x224 clips), so that the two can be stepped in turn."""

    def __init__(self, repo: str, reference):
        model = reference.model
        geo = model.backbone.geometry
        if len(geo.grid) != 3 or geo.input_size != (16, 224, 224) or geo.patch_size != 16:
            raise ValueError(
                f'--official times the official video ViT-B <- ViT-L step, whose encoder '
                f'is built for 16x224x224 clips in 2x16x16 tubelets whatever the sizes '
                f'asked for (PretrainAMD passes no sizes to its encoder); the first '
                f'config has {geo.describe()}')
        self.device = reference.device
        self.cuda = reference.cuda
        label = ('official AMD (fp16 autocast + GradScaler)' if self.cuda else
                 'official AMD (fp32: its autocast and GradScaler are CUDA-only)')
        self.row = dict(reference.row, label=label,
                        spec='official', has_teacher=True, amp_dropped=not self.cuda)
        self.row.pop('input_shape', None)
        blocks_s = list(model.backbone.feature_blocks)
        blocks_t = list(model.teacher.feature_blocks)
        self.args = args = types.SimpleNamespace(**OFFICIAL_ARGS)
        self.optimizer_note = 'optim_factory.create_optimizer'
        with _official_imports(repo), warnings_quiet():
            engine = importlib.import_module('engine_for_pretraining_amd')
            pretrain = importlib.import_module('models.modeling_pretrain')
            finetune = importlib.import_module('models.modeling_finetune_amd')
            utils = importlib.import_module('utils')
            torch.manual_seed(0)
            # the model functions themselves: their registry names clash with timm's own
            self.teacher = finetune.vit_large_patch16_224(
                num_frames=16, tubelet_size=2,
                layer_to_get=dict(dir=blocks_t, gen=blocks_t)).to(self.device).eval()
            for param in self.teacher.parameters():
                param.requires_grad = False
            self.student = pretrain.pretrain_mae_base_patch16_224(
                drop_path_rate=0., decoder_depth=args.decoder_depth,
                generator_depth=args.generator_depth, use_checkpoint=False,
                layer_to_get=dict(dir=blocks_s, gen=blocks_s),
                teacher_dim=self.teacher.embed_dim).to(self.device).train()
            try:
                optim_factory = importlib.import_module('optim_factory')
                self.optimizer = optim_factory.create_optimizer(args, self.student)
            except ImportError as exc:  # it imports optimizers that newer timm dropped
                self.optimizer = torch.optim.AdamW(
                    _parameter_groups(self.student, args.weight_decay), lr=args.lr,
                    betas=args.opt_betas, eps=args.opt_eps)
                self.optimizer_note = (f'torch AdamW with optim_factory\'s groups '
                                       f'(optim_factory: {exc})')
            self.scaler = utils.NativeScalerWithGradNormCount()
            if not self.cuda:  # the engine logs the scale, which a CPU (disabled) scaler lacks
                self.scaler.state_dict = lambda: dict(scale=1.)
            self.train_one_epoch = engine.train_one_epoch
        self.row['params_m'] = sum(p.numel() for p in self.student.parameters()
                                   if p.requires_grad) / 1e6
        self.batch = self._batch(reference)
        self.totals: List[float] = []
        self.loads: List[float] = []

    @staticmethod
    def _batch(reference):
        """``reference``'s clips as the official loader gives them (float,
        ImageNet-normalised, pinned) and its masks as the official boolean
        triple (student, teacher, diff), True = masked."""
        model, data = reference.model, reference.data
        with torch.no_grad():
            inputs = model.data_preprocessor(data, True)['inputs']
        inputs = inputs.flatten(0, 1) if inputs.ndim == 6 else inputs
        images = inputs.float().cpu()
        student = torch.as_tensor(np.stack([s.mask for s in data['data_samples']]))
        diff = torch.as_tensor(np.stack([s.diff_mask for s in data['data_samples']]))
        student, diff = student.flatten(0, -2).bool(), diff.flatten(0, -2).bool()
        teacher = student & ~diff
        if reference.cuda:
            images = images.pin_memory()
        return images, (student, teacher, diff)

    def step(self, record: bool = True):
        self.loads.append(load_average())
        if self.cuda:
            torch.cuda.synchronize(self.device)
        start = time.perf_counter()
        self._run_engine()
        if self.cuda:
            torch.cuda.synchronize(self.device)
        if record:
            self.totals.append((time.perf_counter() - start) * 1e3)

    def _run_engine(self):
        with contextlib.redirect_stdout(io.StringIO()), warnings_quiet(), _cpu_safe_cuda():
            self.train_one_epoch(
                self.args, self.teacher, self.student, [self.batch], self.optimizer,
                self.device, 0, self.scaler, max_norm=self.args.clip_grad, patch_size=16,
                normlize_target=True, log_writer=None, lr_scheduler=None, start_steps=0,
                lr_schedule_values=None, wd_schedule_values=None)

    def finish(self) -> dict:
        transient = step_bytes(self._run_engine, self.cuda, self.device) / 2**20
        no_state = types.SimpleNamespace(state={})  # the frozen teacher has no optimizer
        static = (static_bytes(self.student, self.optimizer)
                  + static_bytes(self.teacher, no_state)) / 2**20
        q1, median, q3 = quantiles(self.totals)
        loads = [x for x in self.loads if x is not None]
        row = self.row
        row.update(step_ms=median, q1_ms=q1, q3_ms=q3, min_ms=min(self.totals),
                   max_ms=max(self.totals), samples_per_s=row['batch'] / median * 1e3,
                   parts={}, static_mem_mb=static, step_mem_mb=transient,
                   peak_mem_mb=static + transient,
                   mem_kind='CUDA allocator' if self.cuda else 'process RSS',
                   load=(min(loads), max(loads)) if loads else None,
                   note=f'optimizer: {self.optimizer_note}')
        return row

    def close(self):
        del self.student, self.teacher, self.optimizer, self.batch


@contextlib.contextmanager
def warnings_quiet():
    """The official code's deprecation warnings (torch.cuda.amp, timm.models.layers)."""
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        yield


@contextlib.contextmanager
def _cpu_safe_cuda():
    """On a CPU-only build the engine's ``torch.cuda.synchronize()`` raises;
    it has nothing to wait for there, so it is made a no-op for the call."""
    if torch.cuda.is_available():
        yield
        return
    saved = torch.cuda.synchronize
    torch.cuda.synchronize = lambda *a, **k: None
    try:
        yield
    finally:
        torch.cuda.synchronize = saved
