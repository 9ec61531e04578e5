"""Check that a registry entry still fits its reference Scatter2D (same points, same x range).

The bin edges themselves are always the reference's own: build them with
``mlhad.yoda.scatter_edges(scatter, allow_gaps=True)`` (ALEPH d25-d27 leave out the
x_p region where dE/dx cannot separate pions, kaons and protons, so their bins have
gaps). The registry records the x range and the number of points it was written for,
so that a changed reference file is caught before it is compared.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from mlhad.exceptions import BinningMismatchError

from .entry import Entry

__all__ = ["Scatter", "check_binning"]


class Scatter(Protocol):
    """What the registry needs of a reference Scatter2D (``mlhad.yoda.Scatter2D``)."""

    x: np.ndarray
    xerr_minus: np.ndarray
    xerr_plus: np.ndarray


def check_binning(entry: Entry, scatter: Scatter) -> None:
    """Raise :class:`BinningMismatchError` unless ``scatter`` has the entry's points and range.

    The tolerance is a millionth of the range: reference files print edges with about
    seven significant digits.
    """
    x = np.asarray(scatter.x, dtype=np.float64)
    low = float(x[0] - np.asarray(scatter.xerr_minus)[0])
    high = float(x[-1] + np.asarray(scatter.xerr_plus)[-1])
    tolerance = 1e-6 * (entry.x_range[1] - entry.x_range[0])
    if len(x) != entry.n_bins or abs(low - entry.x_range[0]) > tolerance or abs(high - entry.x_range[1]) > tolerance:
        raise BinningMismatchError(
            f"{entry.ref_path}: the reference has {len(x)} points on [{low:g}, {high:g}], "
            f"the registry expects {entry.n_bins} on [{entry.x_range[0]:g}, {entry.x_range[1]:g}]; "
            "the reference file changed -- update the registry entry after checking Rivet's code"
        )
