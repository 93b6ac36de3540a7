"""Samples/s of a config's real train dataloader."""
import copy
import os.path as osp
import statistics
import time
from typing import List, Optional

from .batch import build_masking, mask_transform_us
from .configs import ROOT, find_views, load_config, spec_label


def resolve_data_paths(dataset: dict) -> List[str]:
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


def benchmark_data(spec: str, workers: int = 2, batch_size: Optional[int] = None,
                   batches: int = 20, warmup: int = 2,
                   cfg_options: Optional[dict] = None,
                   label: Optional[str] = None) -> dict:
    """Samples/s of the config's real train dataloader with ``workers``
    workers, timed over at least ``batches`` batches (and at least 8 per
    worker, well past what the workers prefetch, so that the rate is the
    steady one and not the drain of a full queue)."""
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner

    cfg = load_config(spec, cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    loader_cfg = copy.deepcopy(cfg.train_dataloader)
    batch = batch_size or loader_cfg.batch_size
    views = find_views(cfg)
    loader_cfg.batch_size = batch
    loader_cfg.num_workers = workers
    loader_cfg.persistent_workers = False
    row = dict(label=label or spec_label(spec), workers=workers,
               batch=batch * views, loader_batch=batch, views=views)
    dataset = loader_cfg.dataset
    while 'dataset' in dataset and 'pipeline' not in dataset:
        dataset = dataset.dataset  # dataset wrappers
    missing = resolve_data_paths(dataset)
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

        for _ in range(warmup):  # worker start-up, first files
            next_batch()
        num_batches = max(batches, 8 * workers)
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
