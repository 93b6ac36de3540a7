"""Paper-size image configs build and take one training step on CPU."""
import math

import pytest

from conftest import one_training_step, real_images


@pytest.mark.slow
@pytest.mark.parametrize('config, student, teacher', [
    ('amd/vit-b_in1k.py', 768, 1024),
    ('amd/vit-s_in1k.py', 384, 768),
])
def test_amd_image_full_size_one_iteration(config, student, teacher):
    model, losses = one_training_step(config, real_images(2, 224))
    assert model.backbone.embed_dims == student and model.teacher.embed_dims == teacher
    assert set(losses) == {'loss', 'loss_pixel', 'loss_direct', 'loss_gen'}
    assert all(math.isfinite(float(v)) for v in losses.values())
