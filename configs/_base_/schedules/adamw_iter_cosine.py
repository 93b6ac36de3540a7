_base_ = ["../default_runtime.py"]
# AdamW (0.9, 0.95), wd 0.05 without decay on norms/biases/tokens/positions,
# linear warm-up then cosine, counted in iterations (short real-data runs).
max_iters = 2000
warmup_iters = 100
lr = 1.5e-3
optim_wrapper = dict(
    type='OptimWrapper',
    # one optimizer group per distinct setting, not per parameter (same
    # values, far fewer kernel launches: docs/benchmarks.md)
    constructor='MergedGroupsOptimWrapperConstructor',
    optimizer=dict(type='AdamW', lr=lr, betas=(0.9, 0.95), weight_decay=0.05),
    # a non-empty paramwise_cfg also makes MMEngine skip frozen (teacher) params
    paramwise_cfg=dict(
        norm_decay_mult=0.0, bias_decay_mult=0.0, flat_decay_mult=0.0,
        custom_keys={'pos_embed': dict(decay_mult=0.), 'mask_token': dict(decay_mult=0.),
                     'cls_token': dict(decay_mult=0.)}))
# linear warm-up, then cosine to eta_min at `end` (default: max_iters); keys:
# param_scheduler.warmup, param_scheduler.end
param_scheduler = dict(type='WarmupCosineLR', warmup=warmup_iters, start_factor=1e-3,
                       eta_min=1e-5, by_epoch=False)
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters)
default_hooks = dict(checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=500,
                                     max_keep_ckpts=2))
log_processor = dict(by_epoch=False)
