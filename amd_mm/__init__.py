"""amd_mm: masked-distillation pre-training of small ViTs (AMD, DMAE, dBOT)
as an OpenMMLab 2.x plugin. ``import amd_mm`` registers every module into
mmpretrain's registries (and the downstream-facing ones into mmaction2's
and mmdet's when those are installed: the ``video`` and ``det`` extras)."""
from . import compat

compat.apply_all()

from .version import __version__  # noqa: E402
from . import registry  # noqa: E402,F401  (eager: real import errors surface)
from . import extras  # noqa: E402

# modules needing a missing optional package become placeholders that name
# the extra to install (amd_mm.extras); a no-op with everything installed
extras.install_placeholders()
from . import datasets, engine, models  # noqa: E402,F401
from . import converters, downstream, validation  # noqa: E402,F401

__all__ = ['__version__']
