"""Reweighting of generator predictions (imported as ``mlhad.reweight``).

- :class:`LundReweighter` / :func:`reweighter_from_sample`: exact, differentiable event
  weights for new StringZ:aLund, bLund, rFactC, rFactB and StringPT:sigma.
- :func:`break_log_ratio`: exact single-break density ratios (truth for HOMER/flows).
- :func:`weight_diagnostics`: n_eff/N, 1 - mu, largest weight share, coverage warning.
"""

from __future__ import annotations

from .base import FragmentationBase
from .from_sample import reweighter_from_sample, tables_from_sample
from .model import LundReweighter
from .parameters import PARAMETERS, canonical_name, parse_point, validate_point
from .per_break import break_log_density, break_log_ratio
from .tables import HistoryTables

__all__ = [
    "FragmentationBase", "HistoryTables", "LundReweighter", "PARAMETERS", "break_log_density",
    "break_log_ratio", "canonical_name", "parse_point", "reweighter_from_sample", "tables_from_sample",
    "validate_point",
]
