# The official AMD/VideoMAE video pre-training schedule (MCG-NJU/AMD
# scripts/pretrain/*, run_amd_pretrain.py):
# 200 epochs, each video seen as num_views=4 copies (reported as "800e").
_base_ = ['../default_runtime.py']
max_epochs = 200     # official --epochs 200
warmup_epochs = 10   # official --warmup_epochs 10, linear from 0
base_lr = 1.2e-3     # official --lr 1.2e-3 per 256 videos
min_lr = 1e-5        # official --min_lr 1e-5, scaled with the batch like lr

optim_wrapper = dict(
    # official: fp16 autocast + GradScaler; tools/train.py needs no --amp
    type='AmpOptimWrapper', loss_scale='dynamic',
    # one optimizer group per distinct setting, not per parameter (same
    # values, far fewer kernel launches: docs/benchmarks.md)
    constructor='MergedGroupsOptimWrapperConstructor',
    # fused AdamW: one kernel per group (video ViT-B <- ViT-L step -3.7 % on an
    # H200, docs/benchmarks.md; same update as the multi-tensor one, tested)
    optimizer=dict(type='AdamW', lr=base_lr, betas=(0.9, 0.95), eps=1e-8,
                   weight_decay=0.05, fused=True),  # official: constant wd 0.05
    clip_grad=dict(max_norm=0.02),  # official --clip_grad 0.02 (after unscaling)
    # official: no decay on 1-D params, biases, pos_embed, mask tokens; a
    # non-empty paramwise_cfg also keeps the frozen teacher out of the optimizer
    paramwise_cfg=dict(
        norm_decay_mult=0.0, bias_decay_mult=0.0, flat_decay_mult=0.0,
        custom_keys={'pos_embed': dict(decay_mult=0.), 'mask_token': dict(decay_mult=0.)}))
# linear warm-up then per-step cosine to min_lr, ending at max_epochs; keys:
# param_scheduler.warmup, param_scheduler.end
param_scheduler = dict(
    type='WarmupCosineLR', warmup=warmup_epochs,
    # official warm-up starts at 0; MMEngine needs a positive start factor
    start_factor=1e-4,
    # official min_lr and lr are both scaled by the batch: the ratio carries over
    eta_min_ratio=min_lr / base_lr,
    by_epoch=True, convert_to_iter_based=True)
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
# official: lr = 1.2e-3 * total_videos / 256; the loader's batch counts videos
# (each gives num_views=4 clips): 32 GPUs x 16 videos -> 2.4e-3
auto_scale_lr = dict(base_batch_size=256, enable=True)
# our choice: a checkpoint every 20 epochs, the last 3 kept
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=20, max_keep_ckpts=3))
log_processor = dict(by_epoch=True)
