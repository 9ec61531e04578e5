"""Scatter objects (points with asymmetric errors) and bin edges from reference points.

Rivet 3 reference data are ``Scatter2D`` objects: one point per measured bin, ``x`` at the
bin centre, ``xerr-``/``xerr+`` the distances to the bin edges, ``y`` the measured value
and ``yerr-``/``yerr+`` its total uncertainty. All errors are stored as positive
magnitudes. :func:`scatter_edges` turns such points back into bin edges.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlhad.exceptions import BinningMismatchError, YodaFormatError
from mlhad.yoda._base import YodaObject, frozen_array

__all__ = ["Scatter1D", "Scatter2D", "Scatter3D", "scatter_bins", "scatter_edges", "EDGE_RTOL"]

# Reference files are usually printed with 7 significant digits ("%e"), so an edge
# rebuilt as x + xerr+ on one point and x - xerr- on the next can differ by ~1e-7
# relative to the printed numbers. 1e-6 of their magnitudes accepts that rounding and
# still catches real gaps (the smallest real gap in the shipped files is 1e-2).
EDGE_RTOL = 1e-6


def _axis(obj: YodaObject, name: str, value: object, n: int | None) -> np.ndarray:
    arr = frozen_array(value, name=f"{obj.path}: {name}", ndim=1)
    if n is not None and arr.shape[0] != n:
        raise YodaFormatError(f"{obj.path}: {name} has {arr.shape[0]} entries, expected {n} (one per point)")
    return arr


def _errors(obj: YodaObject, name: str, value: object, n: int) -> np.ndarray:
    if value is None:
        value = np.zeros(n)
    return _axis(obj, name, value, n)


@dataclass(frozen=True, eq=False, kw_only=True, repr=False)
class Scatter1D(YodaObject):
    """Points with one coordinate, e.g. a cross section (YODA1 ``/_XSEC``).

    Attributes:
        x, xerr_minus, xerr_plus: (n,) values and positive error magnitudes.
    """

    x: np.ndarray
    xerr_minus: np.ndarray | None = None
    xerr_plus: np.ndarray | None = None

    type_name = "Scatter1D"
    ndim = 1

    def __post_init__(self) -> None:
        super().__post_init__()
        x = _axis(self, "x", self.x, None)
        object.__setattr__(self, "x", x)
        for name in ("xerr_minus", "xerr_plus"):
            object.__setattr__(self, name, _errors(self, name, getattr(self, name), x.shape[0]))

    @property
    def npoints(self) -> int:
        return int(self.x.shape[0])

    def _describe(self) -> str:
        return f"{self.npoints} points"

    def columns(self) -> list[np.ndarray]:
        """Data columns in YODA order (val, err-, err+ per dimension)."""
        return [self.x, self.xerr_minus, self.xerr_plus]


@dataclass(frozen=True, eq=False, kw_only=True, repr=False)
class Scatter2D(YodaObject):
    """Points (x, y) with asymmetric errors: the Rivet 3 reference-data container.

    Attributes:
        x, xerr_minus, xerr_plus: (n,) bin centre and distances to the bin edges.
        y, yerr_minus, yerr_plus: (n,) value and positive error magnitudes (total error).

    Example:
        >>> s = Scatter2D(path="/REF/A/h", x=[0.5, 1.5], xerr_minus=[0.5, 0.5],
        ...               xerr_plus=[0.5, 0.5], y=[2.0, 3.0], yerr_minus=[0.1, 0.2],
        ...               yerr_plus=[0.1, 0.2])
        >>> s.edges.tolist()
        [0.0, 1.0, 2.0]
    """

    x: np.ndarray
    xerr_minus: np.ndarray | None = None
    xerr_plus: np.ndarray | None = None
    y: np.ndarray
    yerr_minus: np.ndarray | None = None
    yerr_plus: np.ndarray | None = None

    type_name = "Scatter2D"
    ndim = 2

    def __post_init__(self) -> None:
        super().__post_init__()
        x = _axis(self, "x", self.x, None)
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "y", _axis(self, "y", self.y, x.shape[0]))
        for name in ("xerr_minus", "xerr_plus", "yerr_minus", "yerr_plus"):
            object.__setattr__(self, name, _errors(self, name, getattr(self, name), x.shape[0]))

    @property
    def npoints(self) -> int:
        return int(self.x.shape[0])

    def _describe(self) -> str:
        return f"{self.npoints} points"

    def columns(self) -> list[np.ndarray]:
        return [self.x, self.xerr_minus, self.xerr_plus, self.y, self.yerr_minus, self.yerr_plus]

    @property
    def xlow(self) -> np.ndarray:
        """(n,) lower bin edges, ``x - xerr_minus``."""
        return self.x - self.xerr_minus

    @property
    def xhigh(self) -> np.ndarray:
        """(n,) upper bin edges, ``x + xerr_plus``."""
        return self.x + self.xerr_plus

    @property
    def edges(self) -> np.ndarray:
        """(n+1,) bin edges; raises BinningMismatchError unless the points tile contiguous bins."""
        return scatter_edges(self)

    @property
    def values(self) -> np.ndarray:
        """(n,) measured values (``y``)."""
        return self.y

    @property
    def errors(self) -> np.ndarray:
        """(2, n) positive error magnitudes: row 0 down, row 1 up."""
        return np.stack([self.yerr_minus, self.yerr_plus])

    @property
    def errors_avg(self) -> np.ndarray:
        """(n,) symmetrised error, the mean of the down and up magnitudes."""
        return 0.5 * (self.yerr_minus + self.yerr_plus)


@dataclass(frozen=True, eq=False, kw_only=True, repr=False)
class Scatter3D(YodaObject):
    """Points (x, y, z) with asymmetric errors (2D measurements, YODA1 style)."""

    x: np.ndarray
    xerr_minus: np.ndarray | None = None
    xerr_plus: np.ndarray | None = None
    y: np.ndarray
    yerr_minus: np.ndarray | None = None
    yerr_plus: np.ndarray | None = None
    z: np.ndarray
    zerr_minus: np.ndarray | None = None
    zerr_plus: np.ndarray | None = None

    type_name = "Scatter3D"
    ndim = 3

    def __post_init__(self) -> None:
        super().__post_init__()
        x = _axis(self, "x", self.x, None)
        object.__setattr__(self, "x", x)
        for name in ("y", "z"):
            object.__setattr__(self, name, _axis(self, name, getattr(self, name), x.shape[0]))
        for name in ("xerr_minus", "xerr_plus", "yerr_minus", "yerr_plus", "zerr_minus", "zerr_plus"):
            object.__setattr__(self, name, _errors(self, name, getattr(self, name), x.shape[0]))

    @property
    def npoints(self) -> int:
        return int(self.x.shape[0])

    def _describe(self) -> str:
        return f"{self.npoints} points"

    def columns(self) -> list[np.ndarray]:
        return [
            self.x, self.xerr_minus, self.xerr_plus,
            self.y, self.yerr_minus, self.yerr_plus,
            self.z, self.zerr_minus, self.zerr_plus,
        ]


def scatter_bins(scatter: Scatter2D) -> tuple[np.ndarray, np.ndarray]:
    """Return the (n,) lower and upper bin edges of each point, ``x -+ xerr``."""
    return scatter.xlow, scatter.xhigh


def _clean(values: np.ndarray) -> np.ndarray:
    # x +- xerr carries float noise of one addition (~1e-16 relative): rounding to 15
    # significant digits gives back the decimal edge (0.0075 + 0.0025 -> 0.01, not
    # 0.010000000000000002) without touching any printed digit.
    return np.array([float(f"{v:.15g}") for v in values])


def scatter_edges(scatter: Scatter2D, *, allow_gaps: bool = False, rtol: float = EDGE_RTOL) -> np.ndarray:
    """Rebuild the bin edges of a reference Scatter2D.

    Points must be sorted in x, have positive widths and tile contiguous bins: the upper
    edge of point i equals the lower edge of point i+1 within rounding of the printed
    numbers (``rtol`` times the magnitudes involved, see EDGE_RTOL).

    Args:
        scatter: The reference points.
        allow_gaps: If True, a gap between points becomes an extra bin in the returned
            edges (use :func:`mlhad.histograms.reference_bin_index` to map points to bins);
            if False a gap raises.
        rtol: Relative tolerance for "the same edge".

    Returns:
        (n_bins+1,) increasing edges; n_bins == npoints unless gaps were allowed.

    Raises:
        BinningMismatchError: Unsorted, zero/negative-width, overlapping or (unless
            allowed) gapped points; the message names the object and the points.
    """
    path = scatter.path
    if scatter.npoints == 0:
        raise BinningMismatchError(f"{path}: scatter has no points, so no bin edges")
    lo, hi = _clean(scatter.xlow).tolist(), _clean(scatter.xhigh).tolist()
    bad = [i for i in range(len(lo)) if not hi[i] > lo[i]]
    if bad:
        i = bad[0]
        raise BinningMismatchError(
            f"{path}: point {i} (x={float(scatter.x[i])!r}) has bin [{lo[i]!r}, {hi[i]!r}] of zero or negative "
            "width; it is not a histogram bin (a mean or a ratio?): compare it as a single number instead"
        )
    edges = [lo[0]]
    for i in range(scatter.npoints - 1):
        tol = rtol * float(
            abs(scatter.x[i]) + abs(scatter.xerr_plus[i]) + abs(scatter.x[i + 1]) + abs(scatter.xerr_minus[i + 1])
        )
        step = lo[i + 1] - hi[i]
        if abs(step) <= tol:
            edges.append(float(f"{0.5 * (hi[i] + lo[i + 1]):.15g}") if hi[i] != lo[i + 1] else hi[i])
        elif step < 0:
            raise BinningMismatchError(
                f"{path}: points {i} and {i + 1} overlap or are unsorted: bin {i} is [{lo[i]!r}, {hi[i]!r}], "
                f"bin {i + 1} is [{lo[i + 1]!r}, {hi[i + 1]!r}]; such reference data cannot be booked as "
                "one histogram (compare these points individually or skip this object)"
            )
        elif allow_gaps:
            edges.extend([hi[i], lo[i + 1]])
        else:
            raise BinningMismatchError(
                f"{path}: gap between points {i} and {i + 1}: bin {i} ends at {hi[i]!r}, bin {i + 1} starts at "
                f"{lo[i + 1]!r}; pass allow_gaps=True to get edges with an extra bin for each gap"
            )
    edges.append(hi[-1])
    return np.asarray(edges, dtype=np.float64)
