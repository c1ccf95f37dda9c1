"""One figure style, :func:`save_figure` (PNG + PDF + manifest entry) and the standard plots.

Every plot function returns its :class:`matplotlib.figure.Figure` and takes the
dataset's display label (``aeutils.data.display_name``), which it puts in the
title, so a figure from the CIFAR-10 JPEG copy always says so.

Every figure is drawn for a 16:9 slide (see :mod:`aeutils.plots.style`). Figures go
to ``$AEUTILS_FIGURES`` (default ``figures``); ``MANIFEST.json`` there lists each
figure once (name, files, caption, notebook, profile, data, details, a SHA-256 of the
files, what the layout check found, and the commit and UTC time of the render that last
changed them). :mod:`aeutils.plots.layout` checks every figure as it is saved.
"""

from __future__ import annotations

from .comparison import (  # noqa: F401
    baseline_convergence,
    literature_means,
    measured_means,
    per_class_auc,
    replication,
    without_labels,
)
from .contact import contact_sheet  # noqa: F401
from .dataset import (  # noqa: F401
    class_balance,
    class_examples,
    one_class_split,
)
from .evaluation import (  # noqa: F401
    auc_heatmap,
    auc_vs_contamination,
    auc_vs_epoch,
    roc_curves,
    score_histograms,
)
from .folder import most_anomalous, score_distribution  # noqa: F401
from .models import (  # noqa: F401
    architecture_diagram,
    perturbation_losses,
)
from .style import (  # noqa: F401
    _METADATA,
    DPI,
    MANIFEST,
    SLIDE,
    color_of,
    drop_figures,
    figures_dir,
    read_manifest,
    save_figure,
    saver,
    set_details,
    set_style,
    slide_text_sizes,
)
from .training import (  # noqa: F401
    error_maps,
    reconstructions,
    training_curves,
)
