"""The machine's matrix-multiply peak, against which a step's FLOP/s is
read.

CPU: measured, the best rate of ``torch.mm``/``torch.bmm`` at the step's own
matrix-product shapes (those that make up most of its GEMM FLOPs), in the
step's dtype and thread count, so that a fraction of it says how far the
step is from what this machine's GEMMs reach on this work. CUDA: the
device's dense datasheet peak for the step's dtype (bf16 tensor cores under
autocast, plain fp32 otherwise); a device missing from the table is measured
with one large GEMM instead.
"""
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import torch

# dense (no sparsity) datasheet peaks in TFLOP/s: (name pattern, bf16, fp32);
# first match wins, so more specific names come first. fp32 is the non-tensor
# rate (torch does not use TF32 for fp32 matmuls by default).
CUDA_PEAK_TFLOPS = (
    ('H100 PCIe', 756.0, 51.2),
    ('H100 NVL', 835.0, 60.0),
    ('H100', 989.4, 66.9),   # SXM
    ('H200', 989.4, 66.9),   # SXM
    ('H800', 989.4, 66.9),
    ('GH200', 989.4, 66.9),
    ('A100', 312.0, 19.5),
    ('A800', 312.0, 19.5),
    ('L40S', 362.1, 91.6),
    ('L40', 181.0, 90.5),
    ('L4', 121.0, 30.3),
    ('A10G', 70.0, 31.2),
    ('A10', 125.0, 31.2),
    ('RTX 4090', 165.2, 82.6),
    ('V100', None, 15.7),
    ('T4', None, 8.1),
)


@dataclass
class GemmPeak:
    """``flops_per_s``: the peak used for fractions; ``source``: how it was
    obtained; ``shapes``: (batch, m, k, n), share of the step's GEMM FLOPs,
    measured FLOP/s, for every measured shape; ``mix_flops_per_s``: the
    rate of the step's GEMM mix if each shape ran at its measured rate;
    ``best_measured``: the best of those rates."""
    flops_per_s: float
    source: str
    shapes: List[Tuple[tuple, float, float]] = field(default_factory=list)
    mix_flops_per_s: Optional[float] = None
    best_measured: Optional[float] = None


def gemm_rate(shape: tuple, dtype=torch.float32, device='cpu',
              min_time: float = 0.1, repeats: int = 3) -> float:
    """Best FLOP/s of ``repeats`` timings of a (batch, m, k, n) product,
    each repeating it for at least ``min_time`` seconds."""
    b, m, k, n = shape
    a = torch.randn(b, m, k, dtype=dtype, device=device)
    w = torch.randn(b, k, n, dtype=dtype, device=device)
    if b == 1:
        a, w = a[0], w[0]
        run = lambda: torch.mm(a, w)  # noqa: E731
    else:
        run = lambda: torch.bmm(a, w)  # noqa: E731
    sync = torch.cuda.synchronize if torch.device(device).type == 'cuda' else (lambda: None)
    run()
    sync()
    best = float('inf')
    for _ in range(repeats):
        count, start = 0, time.perf_counter()
        while True:
            run()
            count += 1
            sync()
            elapsed = time.perf_counter() - start
            if elapsed >= min_time:
                break
        best = min(best, elapsed / count)
    return 2 * b * m * k * n / best


def main_shapes(gemms: Dict[tuple, int], coverage: float = 0.9,
                max_shapes: int = 8) -> List[Tuple[tuple, float]]:
    """The largest shapes by FLOPs until ``coverage`` of the total (at most
    ``max_shapes``): (shape, share)."""
    total = sum(gemms.values())
    chosen, covered = [], 0.
    for shape, flops in sorted(gemms.items(), key=lambda kv: -kv[1]):
        if covered >= coverage or len(chosen) >= max_shapes:
            break
        chosen.append((shape, flops / total))
        covered += flops / total
    return chosen


def measured_peak(gemms: Dict[tuple, int], dtype=torch.float32, device='cpu',
                  min_time: float = 0.1) -> GemmPeak:
    """The best GEMM rate at the step's main shapes (see :func:`main_shapes`)."""
    rows = [(shape, share, gemm_rate(shape, dtype, device, min_time))
            for shape, share in main_shapes(gemms)]
    best = max(rows, key=lambda r: r[2])
    covered = sum(share for _, share, _ in rows)
    mix = covered / sum(share / rate for _, share, rate in rows)
    threads = torch.get_num_threads()
    return GemmPeak(best[2], f'measured: best {dtype_name(dtype)} GEMM at the '
                    f'step\'s shapes, {threads} thread{"s" * (threads > 1)}',
                    rows, mix, best[2])


def datasheet_peak(device_name: str, dtype) -> Optional[float]:
    """Dense datasheet FLOP/s of a CUDA device for ``dtype`` (None if the
    device is not in :data:`CUDA_PEAK_TFLOPS` or lacks the dtype)."""
    for pattern, bf16, fp32 in CUDA_PEAK_TFLOPS:
        if pattern.lower() in device_name.lower():
            tflops = bf16 if dtype == torch.bfloat16 else fp32
            return None if tflops is None else tflops * 1e12
    return None


def machine_peak(gemms: Dict[tuple, int], device, dtype=torch.float32,
                 min_time: float = 0.1) -> GemmPeak:
    """The peak for a step on ``device`` whose products are ``gemms``."""
    device = torch.device(device)
    if device.type != 'cuda':
        return measured_peak(gemms, dtype, device, min_time)
    name = torch.cuda.get_device_name(device)
    peak = datasheet_peak(name, dtype)
    # the step's own shapes are cheap to time on a GPU: reported beside
    measured = measured_peak(gemms, dtype, device, min_time)
    if peak is None:
        big = gemm_rate((1, 8192, 8192, 8192), dtype, device, min_time)
        measured.source = (f'{name} not in the datasheet table: measured '
                           f'{dtype_name(dtype)} 8192³ GEMM')
        measured.flops_per_s = big
        return measured
    measured.source = f'{name} dense {dtype_name(dtype)} datasheet peak'
    measured.flops_per_s = peak
    return measured


def dtype_name(dtype) -> str:
    return {torch.bfloat16: 'bf16', torch.float16: 'fp16',
            torch.float32: 'fp32'}.get(dtype, str(dtype))
