"""A teacher's input transform: the student's batch -> the teacher's input."""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F


def _per_channel(values, channels: int, field: str) -> torch.Tensor:
    values = torch.as_tensor(values, dtype=torch.float64).flatten()
    if values.numel() == 1:
        values = values.expand(channels)
    if values.numel() != channels:
        raise ValueError(f'{field} has {values.numel()} values but the input has '
                         f'{channels} channel(s)')
    return values


class TeacherInputTransform(nn.Module):
    """The student's preprocessed batch as the teacher's own preprocessing
    would have made it.

    * **Normalisation**: ``x_s = (raw - mean_s) / std_s`` (the student's data
      preprocessor) becomes ``x_t = (raw - mean_t) / std_t``, one per-channel
      affine map; without a teacher mean/std the student's is kept.
    * **Channels**: a grey student (1 channel) is repeated to a 3-channel
      teacher, as a grey image converted to RGB.
    * **Size**: resized (bicubic, antialiased, per frame for video) to
      ``size``, the resolution at which the teacher's patches give the
      student's token grid (a /14 teacher behind a 224 px /16 student sees
      196 px), so token i is the same region for both.

    Args:
        student_norm (InputNorm, optional): the student's normalisation
            (None: the inputs are raw [0, 255] values).
        student_channels (int): channels of the student's input.
        mean, std (Sequence[float], optional): the teacher's, in [0, 255].
        channels (int): channels the teacher takes.
        size (tuple[int, int]): (H, W) the teacher takes.
        owner (str): the teacher's name, for messages.
    """

    def __init__(self, student_norm, student_channels: int,
                 mean: Optional[Sequence[float]], std: Optional[Sequence[float]],
                 channels: int, size: Tuple[int, int], owner: str = 'teacher'):
        super().__init__()
        if student_channels != channels and student_channels != 1:
            raise ValueError(f'the student\'s input has {student_channels} channels but '
                             f'{owner} takes {channels}: only grey (1 channel) inputs are '
                             'converted')
        self.repeat = channels if student_channels == 1 and channels != 1 else 1
        self.size = tuple(int(s) for s in size)
        scale = torch.ones(channels, dtype=torch.float64)
        shift = torch.zeros(channels, dtype=torch.float64)
        if mean is not None:
            s_mean, s_std = (torch.zeros(1), torch.ones(1)) if student_norm is None else (
                student_norm.mean.double(), student_norm.std.double())
            s_mean = _per_channel(s_mean, student_channels, 'the student\'s mean')
            s_std = _per_channel(s_std, student_channels, 'the student\'s std')
            if self.repeat > 1:
                s_mean, s_std = s_mean.expand(channels), s_std.expand(channels)
            t_mean = _per_channel(mean, channels, 'teacher.mean')
            t_std = _per_channel(std, channels, 'teacher.std')
            scale = s_std / t_std
            shift = (s_mean - t_mean) / t_std
        self.renormalise = mean is not None
        self.register_buffer('scale', scale.float(), persistent=False)
        self.register_buffer('shift', shift.float(), persistent=False)

    def extra_repr(self) -> str:
        return f'size={self.size}, repeat={self.repeat}, renormalise={self.renormalise}'

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        if self.repeat > 1:
            inputs = inputs.expand(-1, self.repeat, *inputs.shape[2:])
        if self.renormalise:
            shape = (1, -1) + (1, ) * (inputs.ndim - 2)
            inputs = inputs * self.scale.view(shape).to(inputs.dtype) + self.shift.view(
                shape).to(inputs.dtype)
        if tuple(inputs.shape[-2:]) != self.size:
            if inputs.ndim == 5:  # (B, C, T, H, W): per frame
                B, C, T = inputs.shape[:3]
                frames = inputs.transpose(1, 2).flatten(0, 1)
                frames = F.interpolate(frames, self.size, mode='bicubic', align_corners=False,
                                       antialias=True)
                inputs = frames.unflatten(0, (B, T)).transpose(1, 2)
            else:
                inputs = F.interpolate(inputs, self.size, mode='bicubic', align_corners=False,
                                       antialias=True)
        return inputs
