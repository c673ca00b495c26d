"""All of artdl's figures under one name: ``from artdl import viz``; ``viz.confusion_matrix_plot(...)``.

The functions live in one module per topic (``viz_core``, ``viz_data``, ``viz_classify``,
``viz_embedding``, ``viz_retrieval``, ``viz_generation``); this module only gathers them, so a
notebook needs one import and a reader finds each figure next to its kin.
"""

from artdl.viz_classify import *  # noqa: F403
from artdl.viz_classify import __all__ as _classify
from artdl.viz_core import *  # noqa: F403
from artdl.viz_core import __all__ as _core
from artdl.viz_data import *  # noqa: F403
from artdl.viz_data import __all__ as _data
from artdl.viz_embedding import *  # noqa: F403
from artdl.viz_embedding import __all__ as _embedding
from artdl.viz_generation import *  # noqa: F403
from artdl.viz_generation import __all__ as _generation
from artdl.viz_retrieval import *  # noqa: F403
from artdl.viz_retrieval import __all__ as _retrieval

__all__ = [*_core, *_data, *_classify, *_embedding, *_retrieval, *_generation]
