"""Convert checkpoints between amd_mm, the downstream packages and the
official releases. Nothing is written when a backbone weight would be lost:
the error lists the missing keys.

An amd_mm pre-training checkpoint -> downstream weights:

    python tools/convert_checkpoint.py PRETRAIN.pth OUT.pth --to mmpretrain
    python tools/convert_checkpoint.py PRETRAIN.pth OUT.pth --to mmaction2 [--final-norm norm]
    python tools/convert_checkpoint.py PRETRAIN.pth OUT.pth --to timm       # {'model': ...}, ViTDet
    python tools/convert_checkpoint.py PRETRAIN.pth OUT.pth --to mmseg      # MMSegmentation's MAE

An official release -> amd_mm student/teacher weights (``backbone.*``):

    python tools/convert_checkpoint.py mae_pretrain_vit_large.pth OUT.pth --from-official mae
    python tools/convert_checkpoint.py VideoMAEv1_vit_L_k400_pt_1600e.pth OUT.pth \\
        --from-official videomae --num-frames 16 --img-size 224
"""
import argparse
import sys

from amd_mm.converters import (FROM_OFFICIAL, TO, CheckpointMismatchError, load_checkpoint,
                               save_checkpoint)

FINAL_NORMS = dict(mmpretrain=('ln2', 'ln1'), mmaction2=('fc_norm', 'norm'))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('src', help='checkpoint to read (path or URL)')
    parser.add_argument('dst', help='file to write')
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument('--to', choices=sorted(TO),
                      help='export an amd_mm pre-training checkpoint')
    mode.add_argument('--from-official', choices=sorted(FROM_OFFICIAL),
                      help='import an official release')
    parser.add_argument('--final-norm', help='where the final norm goes: '
                        'mmpretrain ln2 (default, avg_featmap) or ln1; '
                        'mmaction2 fc_norm (default) or norm (AVA)')
    parser.add_argument('--num-frames', type=int, default=16,
                        help='videomae/amd: clip length of the release')
    parser.add_argument('--img-size', type=int, default=224,
                        help='videomae/amd: frame size of the release')
    return parser.parse_args(argv)


def convert(args) -> dict:
    checkpoint = load_checkpoint(args.src)
    if args.to:
        kwargs = {}
        if args.final_norm:
            if args.final_norm not in FINAL_NORMS.get(args.to, ()):
                raise SystemExit(f'--final-norm {args.final_norm} is not one of '
                                 f'{FINAL_NORMS.get(args.to, ())} for --to {args.to}')
            kwargs['final_norm'] = args.final_norm
        return TO[args.to](checkpoint, **kwargs)
    kwargs = {}
    if args.from_official in ('videomae', 'amd'):
        kwargs = dict(num_frames=args.num_frames, img_size=args.img_size)
    return FROM_OFFICIAL[args.from_official](checkpoint, **kwargs)


def main(argv=None):
    args = parse_args(argv)
    try:
        converted = convert(args)
    except (CheckpointMismatchError, KeyError, ValueError) as error:
        print(f'{args.src}: {error}', file=sys.stderr)
        return 1
    weights = converted.get('state_dict') or converted['model']
    save_checkpoint(converted, args.dst)
    print(f'wrote {args.dst}: {len(weights)} backbone tensors')
    return 0


if __name__ == '__main__':
    sys.exit(main())
