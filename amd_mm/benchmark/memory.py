"""Memory of a model and of one step (CUDA allocator or process RSS)."""
import gc
import threading
import time

import torch


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


def static_bytes(model, optimizer) -> int:
    """Parameters, buffers and optimizer state (exact, shared tensors once)."""
    tensors = list(model.parameters()) + list(model.buffers())
    for state in optimizer.state.values():
        tensors += [v for v in state.values() if isinstance(v, torch.Tensor)]
    seen, total = set(), 0
    for t in tensors:
        if id(t) not in seen:
            seen.add(id(t))
            total += t.numel() * t.element_size()
    return total


def step_bytes(step, cuda: bool, device=None) -> int:
    """What one call of ``step`` adds to memory over its start (activations,
    gradients, temporaries). On CPU the freed heap is first handed back to
    the OS so that the rise shows in the RSS."""
    if cuda:
        torch.cuda.synchronize(device)
        start = torch.cuda.memory_allocated(device)
        torch.cuda.reset_peak_memory_stats(device)
        step()
        torch.cuda.synchronize(device)
        return torch.cuda.max_memory_allocated(device) - start
    release_memory(False, collect=False)
    with PeakRSS() as sampler:
        start = sampler.peak
        step()
    return sampler.peak - start
