"""Test-only hook: each rank saves its model's state dict at the end."""
import os.path as osp

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS


@HOOKS.register_module()
class RankStateDumpHook(Hook):

    def after_train(self, runner):
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        torch.save(model.state_dict(), osp.join(runner.work_dir, f'rank{get_rank()}_final.pth'))
