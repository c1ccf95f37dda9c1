"""Computations behind the notebooks: tables from the results store, comparisons, exports.

Conventions: ``df`` is a table of store records (one row per configuration and
epoch, see :class:`aeutils.results.ResultsStore`); ``dataset`` is the dataset
name as stored in the records (e.g. ``mnist`` or ``folder:…``); ``thesis_dataset``
is the logical name of a dataset with thesis tables (``mnist``, ``cifar10``).
"""

from __future__ import annotations

from . import headlines  # noqa: F401
from .comparison import (  # noqa: F401
    baseline_curves,
    baseline_summary,
    best_on_test,
    budget_check,
    comparison_numbers,
    comparison_table,
    convergence_numbers,
    loss_flatness,
    measured_overview,
    measured_rows,
    per_class_long,
    per_class_methods,
    replication,
    replication_numbers,
    reported_ensemble,
    row_settings,
    run_settings,
    selection_summary,
    strategy_means,
    without_labels,
)
from .exports import (  # noqa: F401
    block_names,
    block_records,
    compute_spent,
    export_table,
    markdown_table,
    profile_note,
    profile_progress,
    selection_records,
    strategy_blocks,
    to_latex,
    to_markdown,
    write_numbers,
)
from .findings import findings  # noqa: F401
from .models import (  # noqa: F401
    best_on_validation,
    dataset_numbers,
    detector_numbers,
    layer_table,
    loss_table,
    perturbations,
    reconstruction_errors,
)
from .records import (  # noqa: F401
    CLASS_COLUMN,
    add_config,
    as_frame,
    checkpoint_records,
    config_name,
    final_records,
    same_dataset,
)
from .thesis import (  # noqa: F401
    THRESHOLD_NOTE,
    auc_matrix,
    best_per_class,
    best_single_config,
    compare_with_thesis,
    contamination_curve,
    contamination_numbers,
    epoch_curve,
    epoch_numbers,
    mark_seed_noise,
    roc_panels,
    score_panels,
    seed_spread,
    thesis_numbers,
    thesis_tables,
    validation_selected,
    with_seed_noise,
)
