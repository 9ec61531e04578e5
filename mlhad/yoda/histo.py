"""Fillable YODA objects as stored in files: Counter, Histo1D, Histo2D, Profile1D.

A bin stores the moments of the fills that landed in it (YODA's "distribution", Dbn):
``sumw`` (sum of weights), ``sumw2`` (sum of squared weights), ``sumwx``/``sumwx2``
(weighted first/second moments of the fill value) and ``numentries`` (number of fills).
Storage follows YODA2: one row per bin *including* the under- and overflow bins, in
global-index order (underflow first, overflow last; for 2D the first axis runs fastest).

YODA1 files also store a ``Total`` row; YODA2 files do not, and the total is the sum of
all rows. ``total`` is therefore always present: read from a YODA1 file, or computed.

Masked bins (YODA2 ``MaskedBins``, YODA1 gaps between bins) are listed by global index;
their rows are kept (zeros when they came from a YODA1 gap) but they are not observable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, NamedTuple

import numpy as np

from mlhad.exceptions import YodaFormatError
from mlhad.yoda._base import YodaObject, frozen_array

if TYPE_CHECKING:  # scatter.py does not import this module; the import is for annotations only
    from mlhad.yoda.scatter import Scatter2D

__all__ = ["Counter", "Dbn1D", "Dbn2D", "Histo1D", "Histo2D", "Profile1D"]


class Dbn1D(NamedTuple):
    """Moments of the fills of one bin (or of the whole histogram), 1D."""

    sumw: float
    sumw2: float
    sumwx: float
    sumwx2: float
    numentries: float


class Dbn2D(NamedTuple):
    """Moments of the fills of one bin, 2D (Histo2D bins; Profile1D: y is the profiled value)."""

    sumw: float
    sumw2: float
    sumwx: float
    sumwx2: float
    sumwy: float
    sumwy2: float
    sumwxy: float
    numentries: float


@dataclass(frozen=True, eq=False, kw_only=True, repr=False)
class Counter(YodaObject):
    """A single fill counter (Rivet's ``/_EVTCOUNT``): sum of weights, of squares, fills."""

    sumw: float
    sumw2: float
    numentries: float

    type_name = "Counter"

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("sumw", "sumw2", "numentries"):
            try:
                object.__setattr__(self, name, float(getattr(self, name)))
            except (TypeError, ValueError) as err:
                raise YodaFormatError(f"{self.path}: Counter {name} must be a number, got {getattr(self, name)!r}") from err

    def _describe(self) -> str:
        return f"sumw={self.sumw:g}, numentries={self.numentries:g}"


def _edges(obj: YodaObject, name: str, value: object) -> np.ndarray:
    edges = frozen_array(value, name=f"{obj.path}: {name}", ndim=1)
    if edges.shape[0] < 2 or not np.all(np.isfinite(edges)) or not np.all(np.diff(edges) > 0):
        raise YodaFormatError(
            f"{obj.path}: {name} must be >= 2 finite, strictly increasing values, got {edges.tolist()!r:.200}"
        )
    return edges


def _masked(obj: YodaObject, masked: object, n_total: int) -> tuple[int, ...]:
    indices = tuple(sorted(int(i) for i in masked))  # type: ignore[union-attr]
    if any(i < 0 or i >= n_total for i in indices) or len(set(indices)) != len(indices):
        raise YodaFormatError(f"{obj.path}: masked bin indices {indices} must be distinct and in [0, {n_total})")
    return indices


@dataclass(frozen=True, eq=False, kw_only=True, repr=False)
class _Binned1D(YodaObject):
    """Shared storage of Histo1D and Profile1D: edges and (n+2, ncol) rows with flows."""

    edges: np.ndarray
    dbn: np.ndarray
    total: tuple | None = None
    masked: tuple[int, ...] = ()

    n_columns: ClassVar[int] = 0
    dbn_type: ClassVar[type] = Dbn1D

    def __post_init__(self) -> None:
        super().__post_init__()
        edges = _edges(self, "edges", self.edges)
        object.__setattr__(self, "edges", edges)
        dbn = frozen_array(self.dbn, name=f"{self.path}: dbn", ndim=2)
        shape = (edges.shape[0] + 1, self.n_columns)
        if dbn.shape != shape:
            raise YodaFormatError(
                f"{self.path}: dbn must have shape {shape} (underflow, {edges.shape[0] - 1} bins, overflow; "
                f"{self.n_columns} moments), got {dbn.shape}"
            )
        object.__setattr__(self, "dbn", dbn)
        total = dbn.sum(axis=0) if self.total is None else self.total
        object.__setattr__(self, "total", self.dbn_type(*(float(v) for v in total)))
        object.__setattr__(self, "masked", _masked(self, self.masked, shape[0]))

    @property
    def nbins(self) -> int:
        return int(self.edges.shape[0] - 1)

    def _describe(self) -> str:
        return f"{self.nbins} bins in [{self.edges[0]:g}, {self.edges[-1]:g}), sumw={self.total.sumw:g}"

    @property
    def widths(self) -> np.ndarray:
        return np.diff(self.edges)

    @property
    def centers(self) -> np.ndarray:
        return 0.5 * (self.edges[1:] + self.edges[:-1])

    @property
    def underflow(self) -> tuple:
        return self.dbn_type(*(float(v) for v in self.dbn[0]))

    @property
    def overflow(self) -> tuple:
        return self.dbn_type(*(float(v) for v in self.dbn[-1]))

    @property
    def masked_bins(self) -> tuple[int, ...]:
        """Masked visible bins as 0-based bin indices (global index - 1)."""
        return tuple(i - 1 for i in self.masked if 0 < i <= self.nbins)

    def _col(self, j: int) -> np.ndarray:
        return self.dbn[1:-1, j]

    @property
    def sumw(self) -> np.ndarray:
        """(n,) sum of weights per visible bin."""
        return self._col(0)

    @property
    def sumw2(self) -> np.ndarray:
        """(n,) sum of squared weights per visible bin."""
        return self._col(1)

    @property
    def sumwx(self) -> np.ndarray:
        return self._col(2)

    @property
    def sumwx2(self) -> np.ndarray:
        return self._col(3)

    @property
    def numentries(self) -> np.ndarray:
        """(n,) number of fills per visible bin."""
        return self._col(self.n_columns - 1)


@dataclass(frozen=True, eq=False, kw_only=True, repr=False)
class Histo1D(_Binned1D):
    """A 1D histogram as YODA stores it (both YODA1 and YODA2).

    Attributes:
        edges: (n+1,) bin edges; bins are [low, high).
        dbn: (n+2, 5) rows ``sumw, sumw2, sumwx, sumwx2, numentries``; row 0 is the
            underflow, row n+1 the overflow.
        total: Dbn1D of the whole histogram (YODA1 ``Total`` row; sum of rows by default).
        masked: Global indices of masked bins (gaps).

    The heights YODA plots are ``sumw / width`` with errors ``sqrt(sumw2) / width``
    (see :meth:`to_scatter`).
    """

    n_columns = 5
    dbn_type = Dbn1D
    type_name = "Histo1D"

    @classmethod
    def from_bins(
        cls,
        path: str,
        edges: object,
        sumw: object,
        sumw2: object,
        sumwx: object | None = None,
        sumwx2: object | None = None,
        numentries: object | None = None,
        *,
        underflow: Dbn1D | None = None,
        overflow: Dbn1D | None = None,
        annotations: dict[str, str] | None = None,
    ) -> Histo1D:
        """Build from per-bin arrays (n,); missing moments are zero, flows empty."""
        n = np.asarray(edges).shape[0] - 1
        cols = [sumw, sumw2, sumwx, sumwx2, numentries]
        body = np.zeros((n, 5))
        for j, col in enumerate(cols):
            if col is not None:
                arr = np.asarray(col, dtype=np.float64)
                if arr.shape != (n,):
                    raise YodaFormatError(f"{path}: per-bin arrays must have shape ({n},), got {arr.shape}")
                body[:, j] = arr
        under = np.asarray(underflow if underflow is not None else np.zeros(5), dtype=np.float64)
        over = np.asarray(overflow if overflow is not None else np.zeros(5), dtype=np.float64)
        dbn = np.vstack([under, body, over])
        return cls(path=path, edges=edges, dbn=dbn, annotations=dict(annotations or {}))

    @property
    def heights(self) -> np.ndarray:
        """(n,) ``sumw / width``: the differential value YODA plots."""
        return self.sumw / self.widths

    @property
    def height_errors(self) -> np.ndarray:
        """(n,) ``sqrt(sumw2) / width``."""
        return np.sqrt(self.sumw2) / self.widths

    def to_scatter(self, path: str | None = None) -> Scatter2D:
        """YODA's mkScatter: x at the bin centre, y = sumw/width, yerr = sqrt(sumw2)/width."""
        from mlhad.yoda.scatter import Scatter2D

        half = 0.5 * self.widths
        keep = np.array([i + 1 not in set(self.masked) for i in range(self.nbins)], dtype=bool)
        return Scatter2D(
            path=self.path if path is None else path,
            annotations=dict(self.annotations),
            x=self.centers[keep], xerr_minus=half[keep], xerr_plus=half[keep],
            y=self.heights[keep], yerr_minus=self.height_errors[keep], yerr_plus=self.height_errors[keep],
        )


@dataclass(frozen=True, eq=False, kw_only=True, repr=False)
class Profile1D(_Binned1D):
    """A 1D profile: per x bin, the weighted mean of a second value y.

    ``dbn`` rows are ``sumw, sumw2, sumwx, sumwx2, sumwy, sumwy2, sumwxy, numentries``
    (YODA1 files have no ``sumwxy``: it reads as 0).
    """

    n_columns = 8
    dbn_type = Dbn2D
    type_name = "Profile1D"

    @property
    def sumwy(self) -> np.ndarray:
        return self._col(4)

    @property
    def sumwy2(self) -> np.ndarray:
        return self._col(5)

    @property
    def mean(self) -> np.ndarray:
        """(n,) weighted mean of y per bin (NaN for empty bins)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.sumwy / self.sumw


@dataclass(frozen=True, eq=False, kw_only=True, repr=False)
class Histo2D(YodaObject):
    """A 2D histogram.

    Attributes:
        xedges, yedges: (nx+1,), (ny+1,) bin edges.
        dbn: (nx+2, ny+2, 8) moments ``sumw, sumw2, sumwx, sumwx2, sumwy, sumwy2,
            sumwxy, numentries`` including the outflow rows/columns (index 0 and -1).
            YODA1 files do not store 2D outflows: they read as zeros.
        total: Dbn2D of the whole histogram.
        masked: Global indices ``ix + (nx+2) * iy`` of masked bins.
    """

    xedges: np.ndarray
    yedges: np.ndarray
    dbn: np.ndarray
    total: Dbn2D | None = None
    masked: tuple[int, ...] = ()

    type_name = "Histo2D"

    def __post_init__(self) -> None:
        super().__post_init__()
        xe, ye = _edges(self, "xedges", self.xedges), _edges(self, "yedges", self.yedges)
        object.__setattr__(self, "xedges", xe)
        object.__setattr__(self, "yedges", ye)
        dbn = frozen_array(self.dbn, name=f"{self.path}: dbn", ndim=3)
        shape = (xe.shape[0] + 1, ye.shape[0] + 1, 8)
        if dbn.shape != shape:
            raise YodaFormatError(f"{self.path}: dbn must have shape {shape} (bins with outflows, 8 moments), got {dbn.shape}")
        object.__setattr__(self, "dbn", dbn)
        total = dbn.sum(axis=(0, 1)) if self.total is None else self.total
        object.__setattr__(self, "total", Dbn2D(*(float(v) for v in total)))
        object.__setattr__(self, "masked", _masked(self, self.masked, shape[0] * shape[1]))

    @property
    def sumw(self) -> np.ndarray:
        """(nx, ny) sum of weights per visible bin."""
        return self.dbn[1:-1, 1:-1, 0]

    @property
    def sumw2(self) -> np.ndarray:
        return self.dbn[1:-1, 1:-1, 1]

    @property
    def numentries(self) -> np.ndarray:
        return self.dbn[1:-1, 1:-1, 7]
