"""YODA2 estimates: values with a breakdown of errors by source.

An estimate bin holds a central value and, per error source (``stats``, ``sys``...), a
signed down and up variation (``errDn`` usually negative, ``errUp`` positive). Sources a
bin does not have are NaN (written ``---``). Rivet 4 reference data are ``Estimate1D``
objects (``BinnedEstimate<i>`` / ``<s>`` for integer or string bins).

Total error: a source marked with the empty label ``""`` is the user-given total and is
used as is; otherwise the down (up) total is the quadrature sum over sources of the
downward (upward) parts, where a source's downward part is ``min(dn, up, 0)`` and its
upward part ``max(dn, up, 0)`` -- one-sided or same-sign variations are not lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from mlhad.exceptions import YodaFormatError
from mlhad.yoda._base import YodaObject, frozen_array

if TYPE_CHECKING:
    from mlhad.yoda.scatter import Scatter2D

__all__ = [
    "Estimate0D",
    "BinnedEstimate",
    "Estimate1D",
    "Estimate2D",
    "axis_kind",
    "storage_shape",
    "combine_errors",
]


def combine_errors(
    sources: dict[str, tuple[np.ndarray, np.ndarray]], shape: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Total (down, up) errors as positive magnitudes, see the module docstring.

    Args:
        sources: label -> (dn, up) signed arrays of ``shape`` (NaN = source absent).
        shape: Shape of the result.

    Returns:
        (down, up) arrays of ``shape``, >= 0.
    """
    if "" in sources:
        dn, up = sources[""]
        return np.abs(np.nan_to_num(dn)), np.abs(np.nan_to_num(up))
    down2, up2 = np.zeros(shape), np.zeros(shape)
    for dn, up in sources.values():
        dn0, up0 = np.nan_to_num(dn), np.nan_to_num(up)
        down2 += np.minimum(np.minimum(dn0, up0), 0.0) ** 2
        up2 += np.maximum(np.maximum(dn0, up0), 0.0) ** 2
    return np.sqrt(down2), np.sqrt(up2)


def axis_kind(axis: object) -> str:
    """``'d'`` for continuous edges (float array), ``'i'``/``'s'`` for int/str labels."""
    if isinstance(axis, np.ndarray) and axis.dtype.kind == "f":
        return "d"
    if isinstance(axis, tuple) and axis and all(isinstance(v, str) for v in axis):
        return "s"
    if isinstance(axis, tuple) and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in axis):
        return "i"
    raise YodaFormatError(f"axis must be a float array of edges or a tuple of int/str labels, got {axis!r:.80}")


def storage_shape(axes: tuple) -> tuple[int, ...]:
    """Bins per axis including flows: n+2 for continuous (under/overflow), n+1 for discrete.

    Both are ``len(axis) + 1``: n bins have n+1 edges but n labels.
    """
    return tuple(len(a) + 1 for a in axes)


def _norm_axis(path: str, i: int, axis: object) -> object:
    # A tuple of ints or strs is a discrete axis (bin labels); anything else (array, list)
    # is a continuous axis given by its edges.
    if isinstance(axis, tuple) and all(isinstance(v, str) for v in axis) and axis:
        labels: tuple = axis
    elif isinstance(axis, tuple) and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in axis):
        labels = tuple(int(v) for v in axis)
    else:
        labels = ()
        edges = frozen_array(axis, name=f"{path}: edges of axis {i + 1}", ndim=1)
        if edges.shape[0] < 2 or not np.all(np.isfinite(edges)) or not np.all(np.diff(edges) > 0):
            raise YodaFormatError(
                f"{path}: edges of axis {i + 1} must be >= 2 finite increasing values, got {edges.tolist()!r:.200}"
            )
        return edges
    if len(set(labels)) != len(labels):
        raise YodaFormatError(f"{path}: labels of axis {i + 1} must be distinct, got {labels!r:.120}")
    return labels


@dataclass(frozen=True, eq=False, kw_only=True, repr=False)
class Estimate0D(YodaObject):
    """A single value with per-source errors (Rivet 4 ``/_XSEC``, mean multiplicities).

    Attributes:
        value: Central value.
        sources: label -> (dn, up) signed variations.
    """

    value: float
    sources: dict[str, tuple[float, float]] = field(default_factory=dict)

    type_name = "Estimate0D"

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "value", float(self.value))
        clean = {}
        for label, pair in dict(self.sources).items():
            if len(pair) != 2:
                raise YodaFormatError(f"{self.path}: error source {label!r} must be a (dn, up) pair, got {pair!r}")
            clean[str(label)] = (float(pair[0]), float(pair[1]))
        object.__setattr__(self, "sources", clean)

    def _describe(self) -> str:
        return f"{self.value:g}, sources {list(self.sources)}"

    @property
    def total_error(self) -> tuple[float, float]:
        """(down, up) positive magnitudes, see the module docstring."""
        arr = {k: (np.array(v[0]), np.array(v[1])) for k, v in self.sources.items()}
        dn, up = combine_errors(arr, ())
        return float(dn), float(up)


@dataclass(frozen=True, eq=False, kw_only=True, repr=False)
class BinnedEstimate(YodaObject):
    """Binned values with per-source errors, on continuous and/or discrete axes.

    Attributes:
        axes: One entry per axis: a float array of edges (continuous, ``'d'``) or a tuple
            of int (``'i'``) or str (``'s'``) bin labels.
        content: Values, shape :func:`storage_shape` (flows included: continuous axes have
            underflow at 0 and overflow at -1, discrete axes an "other" bin at 0).
        sources: label -> (dn, up) arrays shaped like ``content`` (NaN = source absent).
        masked: Global indices of masked bins (first axis fastest).
    """

    axes: tuple
    content: np.ndarray
    sources: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    masked: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        axes = tuple(_norm_axis(self.path, i, a) for i, a in enumerate(self.axes))
        if not axes:
            raise YodaFormatError(f"{self.path}: a binned estimate needs at least one axis")
        object.__setattr__(self, "axes", axes)
        shape = storage_shape(axes)
        content = frozen_array(self.content, name=f"{self.path}: content")
        if content.shape != shape:
            raise YodaFormatError(f"{self.path}: content must have shape {shape} (bins incl. flows), got {content.shape}")
        object.__setattr__(self, "content", content)
        clean = {}
        for label, pair in dict(self.sources).items():
            if len(pair) != 2:
                raise YodaFormatError(f"{self.path}: error source {label!r} must be a (dn, up) pair")
            dn = frozen_array(pair[0], name=f"{self.path}: errDn of {label!r}")
            up = frozen_array(pair[1], name=f"{self.path}: errUp of {label!r}")
            if dn.shape != shape or up.shape != shape:
                raise YodaFormatError(f"{self.path}: errors of source {label!r} must have shape {shape}")
            clean[str(label)] = (dn, up)
        object.__setattr__(self, "sources", clean)
        n_total = int(np.prod(shape))
        masked = tuple(sorted(int(i) for i in self.masked))
        if any(i < 0 or i >= n_total for i in masked):
            raise YodaFormatError(f"{self.path}: masked bin indices {masked} must lie in [0, {n_total})")
        object.__setattr__(self, "masked", masked)

    def _describe(self) -> str:
        return f"{self.values.shape} bins, sources {list(self.sources)}"

    @property
    def kinds(self) -> str:
        """Axis kinds, e.g. ``'d'`` for Estimate1D, ``'s'`` for BinnedEstimate<s>."""
        return "".join(axis_kind(a) for a in self.axes)

    @property
    def type_name(self) -> str:  # type: ignore[override]
        kinds = self.kinds
        if set(kinds) == {"d"} and len(kinds) <= 3:
            return f"Estimate{len(kinds)}D"
        return f"BinnedEstimate<{','.join(kinds)}>"

    def _visible(self, arr: np.ndarray) -> np.ndarray:
        index = tuple(slice(1, -1) if k == "d" else slice(1, None) for k in self.kinds)
        return arr[index]

    @property
    def values(self) -> np.ndarray:
        """Values of the visible bins (flows dropped), shape (n1, n2, ...)."""
        return self._visible(self.content)

    def source_errors(self, label: str) -> tuple[np.ndarray, np.ndarray]:
        """Signed (dn, up) of one source on the visible bins."""
        if label not in self.sources:
            raise YodaFormatError(f"{self.path}: no error source {label!r}; sources are {list(self.sources)}")
        dn, up = self.sources[label]
        return self._visible(dn), self._visible(up)

    def total_errors(self) -> tuple[np.ndarray, np.ndarray]:
        """(down, up) positive magnitudes of the total error on the visible bins."""
        dn, up = combine_errors(self.sources, self.content.shape)
        return self._visible(dn), self._visible(up)

    @property
    def errors(self) -> np.ndarray:
        """(2, n...) total error magnitudes: row 0 down, row 1 up."""
        return np.stack(self.total_errors())


@dataclass(frozen=True, eq=False, kw_only=True, repr=False)
class Estimate1D(BinnedEstimate):
    """Binned estimate on one continuous axis (Rivet 4 reference data).

    Example:
        >>> e = Estimate1D.from_bins("/REF/A/h", [0.0, 1.0, 2.0], [3.0, 4.0],
        ...                          {"stats": ([-0.1, -0.2], [0.1, 0.2])})
        >>> e.values.tolist(), e.edges.tolist()
        ([3.0, 4.0], [0.0, 1.0, 2.0])
    """

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.kinds != "d":
            raise YodaFormatError(f"{self.path}: Estimate1D needs one continuous axis, got kinds {self.kinds!r}")

    @classmethod
    def from_bins(cls, path: str, edges: object, values: object, sources: dict | None = None,
                  *, annotations: dict[str, str] | None = None) -> Estimate1D:
        """Build from visible-bin arrays (n,); flows become NaN without errors."""
        edges = np.asarray(edges, dtype=np.float64)
        n = edges.shape[0] - 1

        def pad(arr: object) -> np.ndarray:
            a = np.asarray(arr, dtype=np.float64)
            if a.shape != (n,):
                raise YodaFormatError(f"{path}: per-bin arrays must have shape ({n},), got {a.shape}")
            return np.concatenate([[np.nan], a, [np.nan]])

        srcs = {k: (pad(v[0]), pad(v[1])) for k, v in (sources or {}).items()}
        return cls(path=path, axes=(edges,), content=pad(values), sources=srcs, annotations=dict(annotations or {}))

    @property
    def edges(self) -> np.ndarray:
        """(n+1,) bin edges."""
        return self.axes[0]

    @property
    def widths(self) -> np.ndarray:
        return np.diff(self.edges)

    @property
    def centers(self) -> np.ndarray:
        return 0.5 * (self.edges[1:] + self.edges[:-1])

    def to_scatter(self, path: str | None = None) -> Scatter2D:
        """Scatter2D of the visible, unmasked bins: x = centre +- half width, y +- total error."""
        from mlhad.yoda.scatter import Scatter2D

        keep = np.array([i + 1 not in set(self.masked) for i in range(len(self.edges) - 1)], dtype=bool)
        half = 0.5 * self.widths
        dn, up = self.total_errors()
        return Scatter2D(path=self.path if path is None else path, annotations=dict(self.annotations),
                         x=self.centers[keep], xerr_minus=half[keep], xerr_plus=half[keep],
                         y=self.values[keep], yerr_minus=dn[keep], yerr_plus=up[keep])


@dataclass(frozen=True, eq=False, kw_only=True, repr=False)
class Estimate2D(BinnedEstimate):
    """Binned estimate on two continuous axes."""

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.kinds != "dd":
            raise YodaFormatError(f"{self.path}: Estimate2D needs two continuous axes, got kinds {self.kinds!r}")

    @property
    def xedges(self) -> np.ndarray:
        return self.axes[0]

    @property
    def yedges(self) -> np.ndarray:
        return self.axes[1]
