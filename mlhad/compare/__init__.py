"""Data/MC comparison: chi2 per histogram (Professor's definition), Rivet-style plots, a report.

What to use when:
    * :func:`compare_sample` -- a sample against reference YODA files: chi2 table,
      plots, MC YODA files and a markdown/HTML report (``mlhad compare`` calls it).
    * :func:`compare_predictions` -- predictions you already have
      (:func:`mlhad.analysis.predict`) against reference objects -> :class:`Comparison`.
    * :func:`chi2_terms` / :func:`chi2` -- the formula on plain arrays.
    * :func:`read_weights` / :func:`parse_weights` -- Professor-style weight files.
    * :func:`plot_comparison`, :func:`write_report` -- one plot, the report files.

chi2 = sum_i w_i**2 (d_i - m_i)**2 / (s_i**2 + e_i**2): data value ``d`` with its total
error ``s`` (mean of down and up, as Professor), MC value ``m`` with its statistical
error ``e`` (:mod:`mlhad.analysis.variance`), weight ``w`` from the weight file (1 by
default; squared, as Professor 2's ``prof2-tune``). ndf = points with ``w > 0``.
"""

from __future__ import annotations

from .chi2 import chi2, chi2_terms, symmetric_error
from .comparison import Comparison, HistogramComparison, compare_predictions, reference_points
from .labels import PlotLabels, plot_labels
from .plot import plot_comparison, uses_log_y
from .report import markdown_table, table_rows, write_report
from .run import SampleComparison, compare_sample, load_event_weights, read_data
from .weights import WeightFile, WeightRule, parse_weights, read_weights

__all__ = [
    "compare_sample",
    "compare_predictions",
    "chi2",
    "chi2_terms",
    "symmetric_error",
    "read_weights",
    "parse_weights",
    "plot_comparison",
    "uses_log_y",
    "write_report",
    "markdown_table",
    "table_rows",
    "plot_labels",
    "reference_points",
    "read_data",
    "load_event_weights",
    "Comparison",
    "HistogramComparison",
    "SampleComparison",
    "WeightFile",
    "WeightRule",
    "PlotLabels",
]
