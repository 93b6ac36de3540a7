"""amd_mm/models/necks/token_decoder.py: the input projection's bias is a
config choice, off in the AMD video configs as the official
encoder_to_decoder."""
import pytest
import torch
from mmengine.config import Config
from mmpretrain.registry import MODELS

from amd_mm.models import MaskedTokenDecoder
from conftest import config_path


@pytest.mark.parametrize('bias', [True, False])
def test_input_projection_bias(bias):
    dec = MaskedTokenDecoder(in_dims=32, embed_dims=16, depth=1, num_heads=2, grid=(2, 2),
                             input_proj_bias=bias)
    assert (dec.decoder_embed.bias is not None) == bias
    dec.init_weights()
    out = dec(torch.rand(1, 2, 32), torch.tensor([[0, 3]]), torch.tensor([[1, 2]]))
    assert out.shape == (1, 2, 16)


@pytest.mark.parametrize('config, student_dims', [('_base_/models/amd_vit-b_videomae-l.py', 768),
                                                  ('amd/vit-s_ssv2.py', 384)])
def test_amd_video_decoder_has_no_bias(config, student_dims):
    neck = Config.fromfile(config_path(config)).model.neck
    # what MaskedDistiller fills in from the student and teacher
    built = MODELS.build(dict(neck, num_layer_pairs=2, student_dims=student_dims,
                              teacher_dims=1024, grid=(8, 14, 14), num_prefix=0))
    assert isinstance(built.decoder.decoder_embed, torch.nn.Linear)
    assert built.decoder.decoder_embed.bias is None
    # the generators take the projected features at the teacher's width: no projection
    assert all(isinstance(g.decoder_embed, torch.nn.Identity) for g in built.generators)
