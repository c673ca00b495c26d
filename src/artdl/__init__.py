"""artdl: deep learning on paintings.

The package holds every piece of logic; the numbered notebooks in ``notebooks/`` only orchestrate
and explain. One package per pipeline step (``classify``, ``autoencode``, ``retrieve``, ``archive``,
``gan``, ``vqgan_clip``, ``crawl``) stands on layer packages (``core``, ``data``, ``models``), with
``viz`` and ``report`` above them; CONTRIBUTING.md draws the map.
"""

__version__ = "0.1.0"

from artdl.core.progress import install as _install_progress

_install_progress()  # headless notebook runs: one text line per loop (see artdl.core.progress)
