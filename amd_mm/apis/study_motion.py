"""The motion study: does the distilled video student keep motion, and if
not, which part of the recipe loses it? On Moving Fashion-MNIST (real
Fashion-MNIST items moving on 64x64 canvases; the direction of motion needs
temporal order, the item class does not).

The protocol is a frozen-feature one, because the MMAction2 fine-tune on
direction swings between seeds (random init: 14% to 58%): a linear probe
(penalty chosen on val) and k-NN on the final tokens pooled over space within
each time slot and concatenated in time order
(:func:`amd_mm.evaluation.video_probe.video_features`), for direction and
class. Settings, each one change of the AMD video nano config: the teacher
targets raw as the official code (the config layer-norms them), the feature
terms' weight against the pixel term, which blocks are aligned, and the tube
mask ratios on the 4x4x4 grid; VideoMAE, random init and the teacher are the
reference rows. ``python tools/demo.py --study motion``; results in
docs/results/motion.md.
"""
import os.path as osp

from .study import Setting, Study, cell, summary
from .shipped import ROOT

AMD = 'configs/amd/amd_vit-nano-p16_moving-fashion-mnist.py'
VIDEOMAE = 'configs/mae/videomae_vit-nano-p16_moving-fashion-mnist.py'
DATA = osp.join(ROOT, 'data', 'moving_fashion_mnist')
MASKS = 'train_dataloader.dataset.masking.'


def _amd(name, label, **options):
    return Setting(name, label, config=AMD, options=options)


SETTINGS = [
    Setting('random', 'random init', kind='random', config=AMD),
    Setting('teacher', 'VideoMAE teacher (shipped)', kind='teacher', config=AMD),
    Setting('videomae', 'VideoMAE student', config=VIDEOMAE),
    _amd('amd', 'AMD student (config: layer-normed targets)'),
    _amd('amd_raw-targets', 'AMD, raw teacher targets (official)',
         **{'model.head.direct_loss.target_norm': None,
            'model.head.gen_loss.target_norm': None}),
    _amd('amd_feature-w0.5', 'AMD, feature terms x0.5',
         **{'model.head.direct_loss.loss_weight': 0.5, 'model.head.gen_loss.loss_weight': 0.5}),
    _amd('amd_feature-w0.1', 'AMD, feature terms x0.1',
         **{'model.head.direct_loss.loss_weight': 0.1, 'model.head.gen_loss.loss_weight': 0.1}),
    _amd('amd_blocks-last', 'AMD, aligned blocks 4 <-> 6 only',
         **{'model.backbone.feature_blocks': (4, ), 'model.teacher.feature_blocks': (6, )}),
    _amd('amd_blocks-2-4', 'AMD, aligned blocks 2,4 <-> 2,4',
         **{'model.teacher.feature_blocks': (2, 4)}),
    _amd('amd_masks-0.75-0.75', 'AMD, tube masks 0.75 / 0.75 (symmetric)',
         **{MASKS + 'teacher_mask_ratio': 0.75, 'model.neck.generator': None,
            'model.head.gen_loss': None}),
    _amd('amd_masks-0.5-0.25', 'AMD, tube masks 0.5 / 0.25',
         **{MASKS + 'student_mask_ratio': 0.5, MASKS + 'teacher_mask_ratio': 0.25}),
    _amd('amd_masks-0.875-0.5', 'AMD, tube masks 0.875 / 0.5',
         **{MASKS + 'student_mask_ratio': 0.875}),
]
PREREGISTERED = ('random', 'teacher', 'videomae', 'amd')
VARIANTS = [s.name for s in SETTINGS if s.name.startswith('amd_')]
METRICS = ('direction_probe', 'direction_knn', 'class_probe', 'class_knn')


def select(val_summary):
    """Beside the preregistered references, the AMD variant best on the val
    direction probe."""
    candidates = [r for r in val_summary if r['setting'] in VARIANTS]
    return [max(candidates, key=lambda r: r['direction_probe_mean'])['setting']] if candidates else []


def prepare(args):
    """The videos (generated once, cached under the data folder)."""
    from amd_mm.datasets.moving_items import make_moving_fashion_mnist
    num_train, num_val, num_test = args.num_videos
    make_moving_fashion_mnist(args.data or DATA, num_train=num_train, num_val=num_val,
                              num_test=num_test)


def evaluate(setting, ckpt, seed, splits, args, teacher_ckpt=None):
    """``{split: metrics}`` of the frozen encoder's probes on both tasks
    (the settings change losses and masks, never the backbone)."""
    from amd_mm.evaluation.video_probe import build_video_backbone, probe_video_encoder
    kind = 'teacher' if setting.kind == 'teacher' else 'student'
    if kind == 'teacher' and ckpt is None:
        from . import shipped
        ckpt = shipped.checked_teacher('moving-fashion-mnist', 'video teacher')[0]
    backbone, pre = build_video_backbone(kind, ckpt, seed, config=setting.config)
    scores = probe_video_encoder(backbone, pre['mean'], pre['std'], args.data or DATA,
                                 splits=('val', ) + tuple(s for s in splits if s != 'val'))
    out = {}
    for split in splits:
        suffix = '_val' if split == 'val' else ''
        out[split] = {m: scores[m + suffix] for m in METRICS}
    return out


def report(rows, out_dir, args):
    """``motion.md``: probes per setting on val (every choice) and test."""
    val, test = summary(rows, 'motion', 'val'), summary(rows, 'motion', 'test')
    val_by, test_by = {r['setting']: r for r in val}, {r['setting']: r for r in test}
    lines = ['| setting | val: direction probe | val: direction k-NN | val: class probe | '
             'test: direction probe | test: direction k-NN | test: class probe |',
             '|---|---|---|---|---|---|---|']
    for setting in SETTINGS:
        v, t = val_by.get(setting.name), test_by.get(setting.name)
        if v is None and t is None:
            continue
        lines.append(f'| {setting.label} | {cell(v, "direction_probe")} | '
                     f'{cell(v, "direction_knn")} | {cell(v, "class_probe")} | '
                     f'{cell(t, "direction_probe")} | {cell(t, "direction_knn")} | '
                     f'{cell(t, "class_probe")} |')
    text = '\n'.join(lines) + '\n'
    with open(osp.join(out_dir, 'motion.md'), 'w') as f:
        f.write(text)
    return text


STUDY = Study('motion', SETTINGS, evaluate, select, PREREGISTERED, metrics=METRICS, iters=1000, batch_size=8,
              report=report, prepare=prepare)
