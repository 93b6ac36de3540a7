"""Controlled studies: what changes when one thing of a recipe changes.

A *setting* is one config plus overrides (or a reference row: raw pixels,
random init, the teacher). Each setting is trained from scratch once per
seed through the stock Runner and scored by frozen-feature probes:
  1. every setting on **val** with the val seeds (every choice is made
     there);
  2. on **test** with the test seeds: the settings the study names before
     any result (its reference rows and the decisive comparison), scored on
     test by the same jobs, and, once every val job is done, the setting its
     rule picks from the val numbers (the val seeds' students reused).
Jobs run in ``--jobs`` processes with one torch thread each (on a GPU
machine they share the GPU), resume from the checkpoints already in the work
folder, and every finished job is appended to ``results.csv`` at once.

``python tools/demo.py --study asymmetry`` (:mod:`.study_asymmetry`) or
``--study motion`` (:mod:`.study_motion`) re-makes a study's CSV, table and
figure.
"""
import argparse
import concurrent.futures as cf
import csv
import math
import multiprocessing
import os
import os.path as osp
import time
import traceback
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

import torch
from mmengine.config import Config

from amd_mm.evaluation import summarise
from .runs import finish_cfg, run_options, say, train_with_history
from .shipped import ROOT


@dataclass
class Setting:
    """One row of a study: ``kind`` ``pretrain`` (``config`` + ``options``,
    trained per seed), or a reference row: ``pixels``, ``random`` (the
    student's architecture, untrained) or ``teacher``. ``teacher`` names a
    teacher the study makes first (its checkpoint replaces the config's);
    ``curve``/``x`` place the setting on the study's figure."""
    name: str
    label: str
    kind: str = 'pretrain'
    config: Optional[str] = None
    options: Dict = field(default_factory=dict)
    teacher: Optional[str] = None
    curve: Optional[str] = None
    x: Optional[float] = None


@dataclass
class Study:
    """A named list of settings, how a trained encoder is scored
    (``evaluate(setting, checkpoint, seed, splits, args) -> {split: metrics}``),
    the teachers it makes first (``make_teacher(name, args) -> checkpoint``),
    the settings scored on test whatever val says (``preregistered``) and the
    rule that adds test settings from the val summary
    (``select(summary) -> names``)."""
    name: str
    settings: List[Setting]
    evaluate: Callable
    select: Callable
    preregistered: Sequence[str]
    metrics: Sequence[str]
    iters: int
    batch_size: int
    teachers: Sequence[str] = ()
    make_teacher: Optional[Callable] = None
    report: Optional[Callable] = None  # (rows, out_dir, args) -> markdown text
    prepare: Optional[Callable] = None  # (args): make the data once, before any job

    def setting(self, name):
        return next(s for s in self.settings if s.name == name)


def studies():
    """The registered studies by name (imported lazily: each pulls its own
    evaluation code)."""
    from .study_asymmetry import STUDY as asymmetry
    from .study_motion import STUDY as motion
    return {s.name: s for s in (asymmetry, motion)}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='amd_mm controlled studies (see '
                                     'amd_mm/apis/study.py)')
    parser.add_argument('--study', required=True,
                        help='comma-separated studies: asymmetry (image), motion (video)')
    parser.add_argument('--work-dir', default=osp.join(ROOT, 'work_dirs', 'study'))
    parser.add_argument('--settings', default=None,
                        help='comma-separated setting names (default: all of each study)')
    parser.add_argument('--val-seeds', default='0,1,2')
    parser.add_argument('--test-seeds', default='0,1,2,3,4')
    parser.add_argument('--iters', type=int, default=None,
                        help="pre-training iterations (default: the study's)")
    parser.add_argument('--teacher-iters', type=int, default=None,
                        help="iterations of a teacher the study makes (default: its recipe's)")
    parser.add_argument('--jobs', type=int, default=1,
                        help='parallel processes, one torch thread each')
    parser.add_argument('--workers', type=int, default=0,
                        help='data-loader processes per job (0: in the job\'s process)')
    parser.add_argument('--probe-train', type=int, default=10000)
    parser.add_argument('--val-samples', type=int, default=5000)
    parser.add_argument('--test-samples', type=int, default=10000)
    parser.add_argument('--num-videos', default='2000,300,500',
                        help='motion study: train,val,test videos')
    parser.add_argument('--data', default=None, help="dataset folder (default: the study's)")
    args = parser.parse_args(argv)
    known = studies()
    args.study = [s for s in args.study.split(',') if s]
    unknown = [s for s in args.study if s not in known]
    if unknown or not args.study:
        parser.error(f'--study: unknown {unknown}; expected some of {sorted(known)}')
    for key in ('val_seeds', 'test_seeds'):
        try:
            setattr(args, key, [int(s) for s in getattr(args, key).split(',') if s.strip()])
        except ValueError:
            parser.error(f'--{key.replace("_", "-")}: expected comma-separated integers, '
                         f'got {getattr(args, key)!r}')
    args.num_videos = [int(n) for n in args.num_videos.split(',')]
    if args.settings is not None:
        args.settings = [s for s in args.settings.split(',') if s]
        # names of any study: one list can serve runs of several studies
        names = {s.name for each in known.values() for s in each.settings}
        wrong = [s for s in args.settings if s not in names]
        if wrong:
            parser.error(f'--settings: unknown {wrong}; expected some of {sorted(names)}')
    if args.jobs < 1:
        parser.error(f'--jobs={args.jobs}: expected >= 1')
    args.work_dir = osp.abspath(args.work_dir)
    return args


# ------------------------------------------------------------------ jobs
def pretrain_cfg(study, setting, seed, args, teacher_ckpt=None):
    """The setting's config for one seed: the study's run length and batch,
    the job's loader workers, and the made teacher where there is one."""
    cfg = Config.fromfile(osp.join(ROOT, setting.config))
    run = argparse.Namespace(batch_size=study.batch_size, workers=args.workers, seed=seed)
    options = run_options(run, args.iters or study.iters, seed)
    options.update(setting.options)
    if teacher_ckpt is not None:
        options['model.teacher.checkpoint'] = teacher_ckpt
    cfg.merge_from_dict(options)
    return finish_cfg(cfg, job_dir(study, setting, seed, args))


def job_dir(study, setting, seed, args):
    return osp.join(args.work_dir, study.name, setting.name, f'seed{seed}')


def run_job(job, args):
    """One job in a worker: make a teacher, or (train if its checkpoint is
    missing, then) score one setting's seed on the given splits."""
    torch.set_num_threads(1)
    from mmengine.registry import init_default_scope
    init_default_scope('mmpretrain')
    study = studies()[job['study']]
    start = time.time()
    if job['type'] == 'teacher':
        return dict(job, checkpoint=study.make_teacher(job['teacher'], args),
                    seconds=time.time() - start)
    setting = study.setting(job['setting'])
    seed, ckpt, train_info = job['seed'], None, {}
    if setting.kind == 'pretrain':
        cfg = pretrain_cfg(study, setting, seed, args, job.get('teacher_ckpt'))
        ckpt = osp.join(cfg.work_dir, f'iter_{cfg.train_cfg.max_iters}.pth')
        if not osp.isfile(ckpt):
            _, history, _ = train_with_history(cfg)
            train_info = dict(train_seconds=round(time.time() - start, 1),
                              final_loss=float(history['loss'][-1]) if history.get('loss')
                              else float('nan'),
                              device='cuda' if torch.cuda.is_available() else 'cpu')
    elif setting.kind == 'teacher':
        ckpt = job.get('teacher_ckpt')
    scores = study.evaluate(setting, ckpt, seed, job['splits'], args,
                            teacher_ckpt=job.get('teacher_ckpt'))
    return dict(job, rows=[dict(study=study.name, setting=setting.name, label=setting.label,
                                seed=seed, split=split, **metrics, **train_info)
                           for split, metrics in scores.items()],
                seconds=time.time() - start)


class InlineExecutor(cf.Executor):
    """``--jobs 1``: each job runs at submission, in this process."""

    def submit(self, fn, *args, **kwargs):
        future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:  # reported by the scheduler like a worker's
            future.set_exception(error)
        return future


def executor(jobs):
    if jobs == 1:
        return InlineExecutor()
    # spawn: a forked child would inherit CUDA state and the parent's threads
    return cf.ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context('spawn'))


# ------------------------------------------------------------- scheduler
def planned_jobs(study, args, names, split=None):
    """Jobs of the settings ``names``, seed-major (a run stopped early has
    every setting at its first seeds): val seeds on val, plus test where the
    setting is preregistered, then the remaining test seeds on test; with
    ``split='test'`` only test jobs. Pixels and the teacher have no seed."""
    seeds = list(dict.fromkeys(args.val_seeds + args.test_seeds))
    jobs = []
    for seed in seeds:
        for setting in study.settings:
            if setting.name not in names or (
                    setting.kind in ('pixels', 'teacher') and seed != seeds[0]):
                continue
            seedless = setting.kind in ('pixels', 'teacher')
            splits = []
            if split is None and (seed in args.val_seeds or seedless):
                splits.append('val')
            if (split == 'test' or setting.name in study.preregistered) and (
                    seed in args.test_seeds or seedless):
                splits.append('test')
            if splits:
                jobs.append(dict(type='score', study=study.name, setting=setting.name,
                                 seed=seed, splits=tuple(splits), needs=setting.teacher))
    return jobs


def run(args):
    """Every study's val jobs, then (per study, when its val jobs are done)
    its test jobs; rows already in ``results.csv`` are kept and not re-run."""
    start = time.time()
    os.makedirs(args.work_dir, exist_ok=True)
    csv_path = osp.join(args.work_dir, 'results.csv')
    rows = read_rows(csv_path)
    done = {(r['study'], r['setting'], int(r['seed']), r['split']) for r in rows}
    chosen = {}  # study -> names of its settings
    teachers, failures = {}, []
    for name in args.study:
        study = studies()[name]
        chosen[name] = [s.name for s in study.settings
                        if args.settings is None or s.name in args.settings]
        if study.prepare is not None and chosen[name]:
            study.prepare(args)
    waiting = [dict(type='teacher', study=s, teacher=t) for s in args.study
               for t in studies()[s].teachers
               if any(studies()[s].setting(n).teacher == t for n in chosen[s])]
    for name in args.study:
        waiting += planned_jobs(studies()[name], args, chosen[name])
    tested = set()
    with executor(args.jobs) as pool:
        running = {}
        while True:
            waiting = [j for j in waiting if not already(j, done)]
            for name in args.study:  # a study's test jobs once its val jobs are done
                if name in tested or any(j['study'] == name and 'val' in j.get('splits', ())
                                         for j in waiting + list(running.values())):
                    continue
                tested.add(name)
                study = studies()[name]
                picked = [n for n in study.select(summary(rows, name, 'val'))
                          if n in chosen[name] and n not in study.preregistered]
                say(f'{name}: test setting(s) picked on val: {", ".join(picked) or "none"}')
                waiting += [j for j in planned_jobs(study, args, picked, split='test')
                            if not already(j, done)]
            for job in [j for j in waiting if ready(j, teachers, failures)]:
                waiting.remove(job)
                if job.get('needs'):
                    job['teacher_ckpt'] = teachers[(job['study'], job['needs'])]
                say(f'queued {describe(job)}')
                running[pool.submit(run_job, job, args)] = job
            if not running:
                if waiting:  # only jobs whose teacher failed
                    failures += [f'{describe(j)} (no teacher)' for j in waiting]
                break
            finished, _ = cf.wait(running, return_when=cf.FIRST_COMPLETED)
            for future in finished:
                job = running.pop(future)
                try:
                    result = future.result()
                except Exception:
                    say(f'FAILED {describe(job)}:\n{traceback.format_exc()}')
                    failures.append(describe(job))
                    if job['type'] == 'teacher':
                        failures.append(('teacher', job['study'], job['teacher']))
                    continue
                if job['type'] == 'teacher':
                    teachers[(job['study'], job['teacher'])] = result['checkpoint']
                    say(f'done {describe(job)} in {result["seconds"]:.0f} s: '
                        f'{result["checkpoint"]}')
                    continue
                rows += result['rows']
                done |= {(r['study'], r['setting'], r['seed'], r['split'])
                         for r in result['rows']}
                write_rows(rows, csv_path)  # never lose a finished job
                say(f'done {describe(job)} in {result["seconds"]:.0f} s: ' + ', '.join(
                    f'{k} {100 * v:.2f}' for r in result['rows'] for k, v in r.items()
                    if k in studies()[job['study']].metrics))
    for name in args.study:
        study = studies()[name]
        if study.report is not None:
            print(study.report([r for r in rows if r['study'] == name], args.work_dir, args))
    say(f'done in {(time.time() - start) / 60:.1f} min; {len(failures)} failure(s)'
        + (': ' + '; '.join(str(f) for f in failures) if failures else '') + f'; {csv_path}')
    return rows


def already(job, done):
    return job['type'] == 'score' and all(
        (job['study'], job['setting'], job['seed'], split) in done for split in job['splits'])


def ready(job, teachers, failures):
    needs = job.get('needs')
    if not needs:
        return True
    if ('teacher', job['study'], needs) in failures:
        return False
    return (job['study'], needs) in teachers


def describe(job):
    if job['type'] == 'teacher':
        return f'{job["study"]}: teacher {job["teacher"]}'
    return f'{job["study"]}: {job["setting"]} seed {job["seed"]} on {"/".join(job["splits"])}'


def summary(rows, study, split):
    """Mean ± std over seeds per setting of one study's rows on one split."""
    metrics = studies()[study].metrics
    picked = [{k: v for k, v in r.items() if k in metrics or k in ('setting', 'seed')}
              for r in rows if r['study'] == study and r['split'] == split]
    return summarise(picked, metrics, key='setting')


def cell(row, metric):
    """``83.75 ± 0.50 (3)`` of a summary row in %, ``—`` when absent."""
    if row is None or math.isnan(row[f'{metric}_mean']):
        return '—'
    return (f'{100 * row[f"{metric}_mean"]:.2f} ± {100 * row[f"{metric}_std"]:.2f} '
            f'({row["n"]})')


def read_rows(path):
    """The rows of an earlier run (numbers back to floats), or none."""
    if not osp.isfile(path):
        return []
    out = []
    with open(path, newline='') as f:
        for row in csv.DictReader(f):
            parsed = {}
            for key, value in row.items():
                try:
                    parsed[key] = int(value) if key == 'seed' else float(value)
                except (TypeError, ValueError):
                    parsed[key] = value
            out.append(parsed)
    return out


def write_rows(rows, path):
    keys = list(dict.fromkeys(k for r in rows for k in r))
    with open(path + '.tmp', 'w', newline='') as f:
        writer = csv.DictWriter(f, fieldnames=keys)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(path + '.tmp', path)


def main(argv=None):
    return run(parse_args(argv))

