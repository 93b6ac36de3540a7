"""MAE's initialisation, shared by every amd_mm module that builds layers."""
import torch.nn as nn


def mae_init_(module: nn.Module) -> None:
    """Xavier-uniform Linear weights with zero bias, unit/zero LayerNorm, for
    every sub-module (MAE's model-level ``init_cfg``, applied per part so a
    frozen teacher beside it is never touched)."""
    for sub in module.modules():
        if isinstance(sub, nn.Linear):
            nn.init.xavier_uniform_(sub.weight)
            if sub.bias is not None:
                nn.init.zeros_(sub.bias)
        elif isinstance(sub, nn.LayerNorm) and sub.elementwise_affine:
            nn.init.ones_(sub.weight)
            nn.init.zeros_(sub.bias)
