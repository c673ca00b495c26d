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


# --- 02 classification: accuracies with their intervals (appended block) ----------------------
def accuracy_intervals(models: dict, title: str = "", keys: tuple = ("top1", "top3")) -> object:
    """Test accuracy per model as dots with 95 % interval bars, and the chance level as a line.

    ``models`` maps a name to :func:`artdl.train.evaluate` output. Intervals instead of bare bars,
    because on ~1,000 test paintings two models a point apart are not yet different.
    """
    import matplotlib.pyplot as plt
    import numpy as np

    names = list(models)
    shown = [k for k in keys if all(k in m for m in models.values())]
    fig, axes = plt.subplots(
        1, len(shown), figsize=(4.2 * len(shown), 0.55 * len(names) + 1.4), squeeze=False
    )
    for ax, key in zip(axes[0], shown):
        y = np.arange(len(names))[::-1]
        values = np.array([models[n][key] for n in names])
        lows = values - np.array([models[n][f"{key}_ci"][0] for n in names])
        highs = np.array([models[n][f"{key}_ci"][1] for n in names]) - values
        ax.errorbar(values, y, xerr=[lows, highs], fmt="o", color="tab:blue", capsize=4)
        for v, yy in zip(values, y):
            ax.text(v, yy + 0.18, f"{v:.3f}", ha="center", fontsize=8)
        chance = models[names[0]].get(f"chance_{key}")
        if chance is not None:
            ax.axvline(chance, color="grey", ls=":", lw=1)
            ax.text(chance, y.max() + 0.45, "chance", color="grey", fontsize=7, ha="left")
        ax.set_yticks(y, names, fontsize=8)
        ax.set_xlim(0, 1)
        ax.set_ylim(-0.6, len(names) - 0.2)
        ax.set_xlabel(f"test {key.replace('top', 'top-')} (95 % Wilson interval)")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
