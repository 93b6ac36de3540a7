"""tools/train.py: progress lines for short runs (the log interval follows the
run length unless set on the command line) and the --tensorboard switch. The
README's 20-iteration run with --tensorboard (tests/test_readme_commands.py)
checks the derived interval and the event file."""
import os.path as osp
import re
import subprocess
import sys

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..'))
QUIET = ['train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
         'train_dataloader.batch_size=16']


def train(work_dir, *options, flags=()):
    cmd = [sys.executable, osp.join(ROOT, 'tools', 'train.py'),
           osp.join(ROOT, 'configs', 'mae', 'mae_vit-nano-p4_fashion-mnist.py'),
           '--work-dir', str(work_dir), *flags, '--cfg-options', *QUIET, *options]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)


def progress(out):
    return [int(n) for n in re.findall(r'Iter\(train\) \[\s*(\d+)/', out.stdout + out.stderr)]


def test_interval_given_on_the_command_line_is_kept(tmp_path, fashion_root):
    out = train(tmp_path, 'train_cfg.max_iters=6', 'param_scheduler.warmup=2',
                'default_hooks.logger.interval=3')
    assert out.returncode == 0, out.stderr[-3000:]
    assert progress(out) == [3, 6]


def test_parser_and_flag():
    from conftest import load_tool
    from mmengine.config import Config
    tool = load_tool('tools/train.py')
    cfg = Config(dict(visualizer=dict(type='UniversalVisualizer',
                                      vis_backends=[dict(type='LocalVisBackend')])))
    tool.add_tensorboard(cfg)
    tool.add_tensorboard(cfg)  # idempotent
    assert [b['type'] for b in cfg.visualizer.vis_backends] == [
        'LocalVisBackend', 'TensorboardVisBackend']
    args = tool.parse_args(['x.py', '--tensorboard'])
    assert args.tensorboard
