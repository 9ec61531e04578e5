"""Common base of all YODA objects: path, annotations, exact equality, frozen arrays.

Every YODA object is a small frozen dataclass whose numeric content lives in read-only
numpy arrays. Equality compares values exactly (NaN equals NaN at the same position), so a
write -> read round trip can be checked with ``==``.

Path conventions (Rivet): reference data live under ``/REF/<ANALYSIS>/<name>``, the MC
prediction under ``/<ANALYSIS>/<name>``; ``/RAW/...`` holds un-finalised copies and
``/TMP/...`` temporaries; names starting with ``_`` (``/_EVTCOUNT``, ``/_XSEC``) are run
bookkeeping. A trailing ``[name]`` marks a weight variation (``/ANA/d01-x01-y01[MUR05]``).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from mlhad.exceptions import YodaFormatError

__all__ = [
    "YodaObject",
    "strip_ref",
    "is_bookkeeping_path",
    "variation_of",
    "frozen_array",
    "values_equal",
]

_VARIATION = re.compile(r"^(?P<base>.*?)\[(?P<name>[^\[\]]*)\]$")

# Annotations that are object fields, not free metadata: written by the writer from the
# object itself, dropped from the annotations dict on read so they cannot disagree.
RESERVED_ANNOTATIONS = ("Path", "Type")


def strip_ref(path: str) -> str:
    """Return the MC path of a reference path (``/REF/A/h`` -> ``/A/h``); others unchanged."""
    return path[4:] if path.startswith("/REF/") else path


def variation_of(path: str) -> str | None:
    """Return the weight-variation name of a path (``/A/h[MUR05]`` -> ``MUR05``), else None."""
    match = _VARIATION.match(path)
    return match.group("name") if match else None


def is_bookkeeping_path(path: str) -> bool:
    """True for run bookkeeping, not observables.

    ``/RAW/...`` (un-finalised copies), ``/TMP/...`` and any path component starting with
    ``_`` (``/_EVTCOUNT``, ``/_XSEC``, ``/RAW/_XSEC``, ``/ANA/_aux``).
    """
    parts = [p for p in path.split("/") if p]
    if not parts:
        return False
    if parts[0] in ("RAW", "TMP"):
        return True
    return any(p.startswith("_") for p in parts)


def frozen_array(value: Any, *, name: str, dtype: Any = np.float64, ndim: int | None = None) -> np.ndarray:
    """Copy ``value`` into a read-only array of ``dtype``; check its dimensionality."""
    try:
        arr = np.array(value, dtype=dtype, copy=True)
    except (TypeError, ValueError) as err:
        raise YodaFormatError(f"{name}: cannot convert {value!r:.80} to {np.dtype(dtype).name}: {err}") from err
    if ndim is not None and arr.ndim != ndim:
        raise YodaFormatError(f"{name} must be {ndim}-dimensional, got shape {arr.shape}")
    arr.setflags(write=False)
    return arr


def values_equal(a: Any, b: Any) -> bool:
    """Exact equality for field values: arrays element-wise (NaN == NaN), else ``==``."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a_arr, b_arr = np.asarray(a), np.asarray(b)
        if a_arr.shape != b_arr.shape or a_arr.dtype.kind != b_arr.dtype.kind:
            return False
        if a_arr.dtype.kind == "f":
            return bool(np.array_equal(a_arr, b_arr, equal_nan=True))
        return bool(np.array_equal(a_arr, b_arr))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(values_equal(a[k], b[k]) for k in a)
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(values_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True  # NaN scalars compare equal, as in arrays
    return bool(a == b)


@dataclass(frozen=True, eq=False, kw_only=True, repr=False)
class YodaObject:
    """Base of all YODA objects.

    Attributes:
        path: Full object path, e.g. ``/REF/ALEPH_1996_S3486095/d01-x01-y01``.
        annotations: Free metadata (``Title``, ``IsRef``, ``ScaledBy``...) as raw strings,
            exactly as in the file. ``Path`` and ``Type`` are not stored here: they come
            from the object itself.
    """

    path: str
    annotations: dict[str, str] = field(default_factory=dict)

    type_name: ClassVar[str] = "AnalysisObject"

    def __post_init__(self) -> None:
        if not isinstance(self.path, str):
            raise YodaFormatError(f"object path must be a string, got {self.path!r}")
        if self.path and (not self.path.startswith("/") or any(c.isspace() for c in self.path)):
            raise YodaFormatError(
                f"object path {self.path!r} must start with '/' and contain no whitespace "
                "(e.g. '/REF/ALEPH_1996_S3486095/d01-x01-y01')"
            )
        clean: dict[str, str] = {}
        for key, value in dict(self.annotations).items():
            if not isinstance(key, str) or not key or ":" in key or any(c.isspace() for c in key):
                raise YodaFormatError(
                    f"{self.path}: annotation key {key!r} must be a non-empty string without ':' or spaces"
                )
            if key in RESERVED_ANNOTATIONS:
                continue
            clean[key] = value if isinstance(value, str) else str(value)
        object.__setattr__(self, "annotations", clean)

    # -- identity -------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """Last path component (``d01-x01-y01``)."""
        return self.path.rsplit("/", 1)[-1]

    @property
    def is_ref(self) -> bool:
        """True for reference data (path under ``/REF/``)."""
        return self.path.startswith("/REF/")

    @property
    def is_raw(self) -> bool:
        """True for un-finalised copies under ``/RAW/``."""
        return self.path.startswith("/RAW/")

    @property
    def is_bookkeeping(self) -> bool:
        """True for ``/RAW/``, ``/TMP/`` and ``_``-prefixed objects: not observables."""
        return is_bookkeeping_path(self.path)

    @property
    def variation(self) -> str | None:
        """Weight-variation name from a ``[name]`` path suffix, None for the nominal."""
        return variation_of(self.path)

    @property
    def title(self) -> str:
        """The ``Title`` annotation (YAML null ``~`` reads as empty)."""
        title = self.annotations.get("Title", "")
        return "" if title == "~" else title

    def replace(self, **changes: Any) -> YodaObject:
        """Return a copy with some fields changed (``obj.replace(path='/A/h')``)."""
        return dataclasses.replace(self, **changes)

    # -- equality -------------------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(
            values_equal(getattr(self, f.name), getattr(other, f.name)) for f in dataclasses.fields(self)
        )

    __hash__ = None  # type: ignore[assignment]  # mutable-content containers are unhashable

    def _describe(self) -> str:
        return ""

    def __repr__(self) -> str:
        extra = self._describe()
        return f"<{self.type_name} {self.path!r}{': ' + extra if extra else ''}>"
