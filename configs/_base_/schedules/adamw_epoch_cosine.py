# Paper-scale schedule: AdamW (0.9, 0.95), wd 0.05 (none on norms, biases,
# positions, tokens), linear warm-up then cosine, per iteration. lr is given
# for `auto_scale_lr.base_batch_size` and scaled with --auto-scale-lr.
# Mixed precision: pass --amp to tools/train.py (needs a GPU).
_base_ = ['../default_runtime.py']
max_epochs = 800
warmup_epochs = 40
optim_wrapper = dict(
    type='OptimWrapper',
    # one optimizer group per distinct setting, not per parameter (same
    # values, far fewer kernel launches: docs/benchmarks.md)
    constructor='MergedGroupsOptimWrapperConstructor',
    # fused AdamW: one kernel per group (image ViT-B <- ViT-L step -3.6 % on
    # an H200, docs/benchmarks.md; same update as the multi-tensor one, tested)
    optimizer=dict(type='AdamW', lr=1.5e-4 * 4096 / 256, betas=(0.9, 0.95),
                   weight_decay=0.05, fused=True),
    # a non-empty paramwise_cfg also makes MMEngine skip frozen (teacher) params
    paramwise_cfg=dict(
        norm_decay_mult=0.0, bias_decay_mult=0.0, flat_decay_mult=0.0,
        custom_keys={'pos_embed': dict(decay_mult=0.), 'mask_token': dict(decay_mult=0.),
                     'cls_token': dict(decay_mult=0.)}))
# linear warm-up, then cosine to 0 at `end` (default: max_epochs), per
# iteration; keys: param_scheduler.warmup, param_scheduler.end
param_scheduler = dict(type='WarmupCosineLR', warmup=warmup_epochs, start_factor=1e-4,
                       by_epoch=True, convert_to_iter_based=True)
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
auto_scale_lr = dict(base_batch_size=4096)
resume = True
