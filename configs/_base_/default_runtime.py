# Runtime shared by every amd_mm config: mmpretrain's, plus amd_mm's modules.
_base_ = 'mmpretrain::_base_/default_runtime.py'

custom_imports = dict(imports=['amd_mm'], allow_failed_imports=False)

# tools/train.py logs a short run about 10 times (auto_log_interval); runs of
# 500 iterations or more log every 50. Set auto_log_interval = False to keep 50,
# or pass --cfg-options default_hooks.logger.interval=N.
auto_log_interval = True
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3))
# saves/restores torch's RNG so that a resumed run continues bit for bit
custom_hooks = [dict(type='TorchRNGStateHook')]
# tools/train.py switches nccl to gloo when no GPU is present
env_cfg = dict(dist_cfg=dict(backend='nccl'))
randomness = dict(seed=0, diff_rank_seed=True)
