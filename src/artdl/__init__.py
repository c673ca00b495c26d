"""artdl: deep learning on paintings.

The package holds every piece of logic; the numbered notebooks in ``notebooks/`` only orchestrate
and explain. Import the submodules you need (``artdl.config``, ``artdl.data``, ...): the package
itself imports nothing heavy so that ``python -m artdl`` starts fast.
"""

__version__ = "0.1.0"

from artdl import progress as _progress

_progress.install()  # headless notebook runs: one text line per loop (see artdl.progress)
