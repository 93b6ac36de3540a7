"""Speed, memory and FLOPs of a training step, and the data loader's rate.

``configs`` reads config specs, ``batch`` builds the masked batch (the one
builder of the project), ``timing``/``memory`` measure a step, ``flops``
counts its model FLOPs by part, ``peak`` gives the machine's matrix-multiply
peak, ``step``/``data`` run the benchmarks and ``report`` prints them.
``tools/analysis/benchmark.py`` is the command line.
"""
from .batch import build_masking, input_shape, mask_transform_us, masked_batch, synthetic_batch
from .configs import (find_masking, find_transform, find_views, load_config, parse_spec,
                      spec_label)
from .data import benchmark_data
from .step import (StepBench, StepOptions, benchmark_interleaved, benchmark_official,
                   benchmark_step)
from . import report
from .timing import PARTS

__all__ = [
    'build_masking', 'input_shape', 'mask_transform_us', 'masked_batch', 'synthetic_batch',
    'find_masking', 'find_transform', 'find_views', 'load_config', 'parse_spec',
    'spec_label', 'benchmark_data', 'StepBench', 'StepOptions', 'benchmark_interleaved',
    'benchmark_official', 'benchmark_step', 'PARTS', 'report'
]
