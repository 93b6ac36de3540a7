# Runtime shared by every amd_mm config: mmpretrain's, plus amd_mm's modules.
_base_ = 'mmpretrain::_base_/default_runtime.py'

custom_imports = dict(imports=['amd_mm'], allow_failed_imports=False)

# A short run logs about 10 times (default_hooks.log_interval); runs of 500
# iterations or more log every 50. Set auto_log_interval = False to keep 50,
# or pass --cfg-options default_hooks.logger.interval=N to tools/train.py.
auto_log_interval = True
# The start-up checks, summary and the stop on a non-finite loss are default
# hooks, so every entry point has them: tools/train.py, mim train amd_mm,
# python -m amd_mm.run PKG:train, torchrun -m amd_mm.run, Runner.from_cfg.
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3),
    startup_check=dict(type='StartupCheckHook'),
    run_summary=dict(type='RunSummaryHook'),
    log_interval=dict(type='AutoLogIntervalHook'),
    finite_loss=dict(type='FiniteLossHook'))
# saves/restores torch's RNG so that a resumed run continues bit for bit
custom_hooks = [dict(type='TorchRNGStateHook')]
# without a GPU, amd_mm's launcher fix uses gloo instead (amd_mm.compat)
env_cfg = dict(dist_cfg=dict(backend='nccl'))
randomness = dict(seed=0, diff_rank_seed=True)
