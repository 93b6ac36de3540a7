"""Markdown tables of the benchmark's rows."""
import os
from typing import List, Optional

import torch

from .configs import parse_spec
from .timing import PARTS

TEACHER_NOTE = ('teacher weights random (`model.teacher.checkpoint=None`): '
                'no checkpoint file is needed, and timings do not depend on '
                'the weights')
SUMMARY_COLUMNS = ['config', 'B', 'step ms (median)', 'IQR ms', 'min–max ms',
                   'samples/s', 'mem MiB (static + step)', 'step vs first']
BREAKDOWN_COLUMNS = ['config'] + [title for _, title in PARTS] + ['mask transform']
FLOP_COLUMNS = ['config', 'B', 'GFLOP/step (student + teacher + neck/head)',
                'step ms', 'achieved GFLOP/s', 'GEMM peak GFLOP/s', 'of peak',
                'GFLOP/s by part (student / teacher / neck+head)']


def table(header: List[str], lines: List[List[str]]) -> str:
    widths = [max(len(h), *(len(line[i]) for line in lines)) if lines else len(h)
              for i, h in enumerate(header)]
    fmt = lambda cells: '| ' + ' | '.join(  # noqa: E731
        c.ljust(w) for c, w in zip(cells, widths)) + ' |'
    rule = '|' + '|'.join('-' * (w + 2) for w in widths) + '|'
    return '\n'.join([fmt(header), rule] + [fmt(line) for line in lines])


def batch_label(r: dict) -> str:
    """Clips per step, and how they are made when views repeat a video."""
    if r.get('views', 1) > 1:
        return f"{r['batch']} ({r['loader_batch']}×{r['views']})"
    return str(r['batch'])


def summary_table(rows: List[dict]) -> str:
    ok = [r for r in rows if 'error' not in r]
    first = ok[0]['step_ms'] if ok else None
    lines = []
    for r in rows:
        if 'error' in r:
            lines.append([r['label'], str(r.get('batch', '')), 'error: ' + r['error']]
                         + [''] * (len(SUMMARY_COLUMNS) - 3))
            continue
        lines.append([
            r['label'], batch_label(r), f"{r['step_ms']:.1f}",
            f"{r['q1_ms']:.1f}–{r['q3_ms']:.1f}",
            f"{r['min_ms']:.1f}–{r['max_ms']:.1f}",
            f"{r['samples_per_s']:.1f}",
            f"{r['peak_mem_mb']:.0f} ({r['static_mem_mb']:.0f} + {r['step_mem_mb']:.0f})",
            f"{r['step_ms'] / first:.2f}×"])
    return table(SUMMARY_COLUMNS, lines)


def breakdown_table(rows: List[dict]) -> Optional[str]:
    """Per-part medians (ms); None when no row was timed by part."""
    with_parts = [r for r in rows if 'error' not in r and r.get('parts')]
    if not with_parts:
        return None
    full = any('teacher_full_ms' in r for r in with_parts)
    header = BREAKDOWN_COLUMNS + (['teacher all blocks'] if full else [])
    lines = []
    for r in with_parts:
        cells = [r['label']]
        for key, _ in PARTS:
            cells.append('–' if key == 'teacher_fwd' and not r['has_teacher']
                         else f"{r['parts'].get(key):.1f}")
        if r.get('mask_us') is not None:
            ms = r['mask_us'] * r['batch'] / 1e3
            cells.append(f"{ms:.2f} ({ms / r['step_ms'] * 100:.2f}%)")
        else:
            cells.append('–')
        if full:
            t = r.get('teacher_full_ms')
            cells.append('–' if t is None else
                         f"{t:.1f} (k/L cost {r['parts']['teacher_fwd'] / t:.2f})")
        lines.append(cells)
    return table(header, lines)


def giga(value: float) -> str:
    """``value`` / 1e9 with one decimal, or three significant digits below 10."""
    value /= 1e9
    return f'{value:.1f}' if value >= 10 or value == 0 else f'{value:.3g}'


def flop_table(rows: List[dict]) -> Optional[str]:
    """FLOPs per step by part and the fraction of the GEMM peak reached;
    None when no row counted FLOPs."""
    counted = [r for r in rows if 'error' not in r and 'flops' in r]
    if not counted:
        return None
    lines = []
    for r in counted:
        f, by_part = r['flops'], r.get('part_flops_per_s', {})
        split = ' + '.join(giga(f[k]) for k in ('student', 'teacher', 'neck_head'))
        rates = ' / '.join(giga(by_part[k]) if k in by_part else '–'
                           for k in ('student', 'teacher', 'neck_head'))
        lines.append([r['label'], batch_label(r), f"{giga(f['total'])} = {split}",
                      f"{r['step_ms']:.1f}", f"{r['achieved_flops_per_s'] / 1e9:.1f}",
                      f"{r['peak'].flops_per_s / 1e9:.1f}",
                      f"{r['utilisation'] * 100:.1f}%", rates])
    return table(FLOP_COLUMNS, lines)


def flop_notes(rows: List[dict]) -> List[str]:
    counted = [r for r in rows if 'error' not in r and 'flops' in r]
    if not counted:
        return []
    notes = ['FLOPs: matrix products, convolutions and attention of one step '
             '(2 per multiply-add; FlopCounterMode) = forward + backward of the '
             'student, the neck (projections, generators, pixel decoder) and '
             'head, + forward of the frozen teacher; element-wise work and the '
             'optimizer not counted. By-part rates: the part\'s FLOPs over its '
             'own forward + backward time.']
    for r in counted:
        peak = r['peak']
        shapes = ', '.join(f'{"x".join(map(str, s[1:]))}'
                           + (f' ({s[0]} batched)' if s[0] > 1 else '')
                           + f' {share * 100:.0f}%: {rate / 1e9:.0f}'
                           for s, share, rate in peak.shapes)
        load = '' if r.get('peak_load') is None else f", load {r['peak_load']:.1f}"
        mix = ('' if peak.mix_flops_per_s is None else
               f'; the step\'s GEMM mix at those rates: {peak.mix_flops_per_s / 1e9:.1f}')
        notes.append(f"{r['label']}: peak = {peak.source}; the step's GEMMs timed "
                     f"alone after the timed steps{load} (m×k×n, share of GEMM "
                     f"FLOPs: GFLOP/s): {shapes}{mix}.")
    return notes


def notes(rows: List[dict], interleaved: bool = False, amp: bool = False,
          compiled: bool = False) -> List[str]:
    ok = [r for r in rows if 'error' not in r]
    out = []
    if ok:
        r0 = ok[0]
        out.append(f"Device: {r0['device']}, torch {torch.__version__}; "
                   f"median over {r0['steps']} steps after {r0['warmup']} "
                   'warm-up steps, one synthetic batch kept in memory.')
        source = ('process RSS sampled every 5 ms, freed heap trimmed '
                  'before that step' if r0['mem_kind'] == 'process RSS'
                  else 'torch.cuda.max_memory_allocated over memory_allocated '
                  'at the step start')
        out.append('mem: static = parameters, buffers and optimizer state '
                   '(counted exactly); step = the rise of memory during one '
                   'extra, untimed step over its start (activations, '
                   f'gradients, temporaries; {source}).')
        loads = [x for r in ok if r.get('load') for x in r['load']]
        if loads and r0['mem_kind'] == 'process RSS':
            out.append(f'1-min load average during the runs: {min(loads):.1f}–'
                       f'{max(loads):.1f} on {os.cpu_count()} CPUs.')
        if interleaved:
            out.append('Interleaved: all configs built at once and stepped in turn.')
        noisy = [r['label'] for r in ok if r['q3_ms'] - r['q1_ms'] > 0.2 * r['step_ms']]
        if noisy:
            out.append('Noisy (IQR > 20% of the median; another load on the '
                       'machine?): ' + ', '.join(noisy) + '.')
    dropped = [r['label'] for r in ok if r.get('amp_dropped')]
    if dropped:
        out.append('AmpOptimWrapper of the config replaced by OptimWrapper '
                   '(fp32; mmengine has no CPU autocast): ' + ', '.join(dropped) + '.')
    if any(r.get('has_teacher') for r in ok):
        out.append(TEACHER_NOTE[0].upper() + TEACHER_NOTE[1:] + '.')
    if any(r.get('parts') for r in ok):
        out.append('Parts in ms (medians): preproc = data preprocessor; '
                   'bwd split where the first gradient reaches the '
                   "student's outputs; optim = step + zero_grad; other = "
                   'the rest of train_step (loss parsing, Python); mask '
                   'transform = the pipeline mask transform for the whole '
                   'batch (and its share of a step).')
    if amp or any(r.get('compiled') for r in ok):
        amp_text = {'bf16': 'bf16 (no loss scaling)', 'fp16': 'fp16 (dynamic loss scaling)'}
        out.append(f'autocast: {amp_text.get(amp, amp) if amp else "off"}; torch.compile '
                   '(train_step, as MMEngine\'s `compile` key): '
                   + (', '.join(r['label'] for r in ok if r.get('compiled')) or 'none') + '.')
    out += [f"{r['label']}: {r['note']}." for r in ok if r.get('note')]
    return out + flop_notes(rows)


def target_lines(rows: List[dict]) -> List[str]:
    """The target AMD step <= MAE step + 1.1 x teacher forward, for every
    teacher config against a teacher-less one of the same config file (e.g.
    its ``::mae`` variant), else of the same input batch shape."""
    ok = [r for r in rows if 'error' not in r]
    plain = [r for r in ok if not r['has_teacher']]
    lines = []
    for r in ok:
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


def step_report(rows: List[dict], interleaved: bool = False, amp: bool = False,
                compiled: bool = False) -> str:
    """The summary table, the per-part table, the FLOP table, notes and the
    target lines."""
    out = [summary_table(rows)]
    for extra in (breakdown_table(rows), flop_table(rows)):
        if extra is not None:
            out += ['', extra]
    out += [''] + [f'* {n}' for n in notes(rows, interleaved, amp, compiled)]
    targets = target_lines(rows)
    if targets:
        out += [''] + targets
    return '\n'.join(out)


def data_table(rows: List[dict]) -> str:
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
    return table(header, lines)
