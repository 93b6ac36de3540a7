"""What the command-line tools run, importable: the shipped checkpoints and
how they are re-made (:mod:`.shipped`), the pieces every demo shares
(:mod:`.runs`), and the image, video and dense-transfer demos themselves
(:mod:`.demo_image`, :mod:`.demo_video`, :mod:`.demo_dense`). ``tools/*.py``
are thin command lines over these modules.

Paths (configs, ``checkpoints/``, ``data/``, ``work_dirs/``) are relative to
:data:`ROOT`, the checkout an editable install points at."""
from .shipped import ROOT

__all__ = ['ROOT']
