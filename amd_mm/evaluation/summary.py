"""Mean ± std over seeds of per-seed result rows."""
import math
from collections import OrderedDict
from typing import Dict, List, Sequence


def mean_std(values: Sequence[float]):
    """``(mean, sample std)``; the std of a single value is 0."""
    values = [v for v in values if v is not None and not math.isnan(v)]
    if not values:
        return float('nan'), float('nan')
    mean = sum(values) / len(values)
    if len(values) < 2:
        return mean, 0.0
    return mean, math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


def summarise(rows: List[Dict], metrics: Sequence[str], key: str = 'model') -> List[Dict]:
    """One row per ``key`` (first-seen order) with ``{metric}_mean``,
    ``{metric}_std`` and the number of seeds ``n``, from per-seed rows."""
    groups = OrderedDict()
    for row in rows:
        groups.setdefault(row[key], []).append(row)
    summary = []
    for name, group in groups.items():
        out = {key: name, 'n': len(group)}
        for field in group[0]:
            if field not in metrics and field not in (key, 'seed'):
                out[field] = group[0][field]
        for metric in metrics:
            out[f'{metric}_mean'], out[f'{metric}_std'] = mean_std(
                [r.get(metric) for r in group])
        summary.append(out)
    return summary


def format_cell(mean: float, std: float, n: int, scale: float = 100) -> str:
    """``81.40 ± 0.35`` (``81.40`` for one seed, ``—`` when absent)."""
    if math.isnan(mean):
        return '—'
    return f'{scale * mean:.2f}' if n < 2 else f'{scale * mean:.2f} ± {scale * std:.2f}'
