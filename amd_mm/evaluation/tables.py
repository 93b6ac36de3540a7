"""Result tables of the demos: every field of every row to CSV, and a
Markdown table of model, parameters and chosen columns."""
import csv
import os.path as osp

from .summary import format_cell


def write_csv(rows, path):
    """Every field of every row (the union of their keys, first-seen order)."""
    with open(path, 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=list(dict.fromkeys(k for r in rows for k in r)))
        writer.writeheader()
        writer.writerows(rows)


def write_markdown(rows, out, preamble, columns):
    """``out/results.md``: the ``preamble`` lines, then model, params and the
    ``columns`` (``(title, key)``): per-row values in %, or ``mean ± std``
    where rows carry ``{key}_mean``/``{key}_std``. Returns the text."""
    lines = list(preamble) + [
        '| model | params (M) | ' + ' | '.join(title for title, _ in columns) + ' |',
        '|---|---|' + '---|' * len(columns)]
    for r in rows:
        cells = [format_cell(r[f'{key}_mean'], r[f'{key}_std'], r['n']) if f'{key}_mean' in r
                 else f'{100 * r[key]:.2f}' for _, key in columns]
        lines.append(f"| {r['model']} | {r['params_m']:.2f} | " + ' | '.join(cells) + ' |')
    text = '\n'.join(lines) + '\n'
    with open(osp.join(out, 'results.md'), 'w') as f:
        f.write(text)
    return text
