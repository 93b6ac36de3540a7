import math

from amd_mm.evaluation import format_cell, mean_std, summarise


def test_mean_and_sample_std_over_seeds():
    mean, std = mean_std([0.80, 0.82, 0.84])
    assert math.isclose(mean, 0.82) and math.isclose(std, 0.02)
    assert mean_std([0.5]) == (0.5, 0.0)
    rows = [dict(model='a', seed=s, params_m=1.0, acc=v) for s, v in enumerate((0.8, 0.82, 0.84))]
    rows.append(dict(model='b', seed=0, params_m=2.0, acc=float('nan')))
    a, b = summarise(rows, ['acc'])
    assert (a['model'], a['n'], a['params_m']) == ('a', 3, 1.0)
    assert math.isclose(a['acc_mean'], 0.82) and math.isclose(a['acc_std'], 0.02)
    assert math.isnan(b['acc_mean'])
    assert format_cell(a['acc_mean'], a['acc_std'], 3) == '82.00 ± 2.00'
    assert format_cell(0.5, 0.0, 1) == '50.00'
    assert format_cell(b['acc_mean'], b['acc_std'], 1) == '—'
