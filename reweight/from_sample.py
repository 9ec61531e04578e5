"""Build a LundReweighter from a sample on disk."""

from __future__ import annotations

from collections.abc import Sequence

import awkward as ak
import numpy as np

from mlhad.exceptions import ReweightError
from mlhad.io import Sample

from .base import FragmentationBase
from .model import LundReweighter
from .tables import HistoryTables

__all__ = ["reweighter_from_sample", "tables_from_sample"]

_COLUMNS = ["breaks.z", "breaks.mT2", "breaks.flav_old", "breaks.flav_new"]


def tables_from_sample(sample: Sample, *, chunks: Sequence[int] | None = None, n_nodes: int = 512) -> HistoryTables:
    """Read a sample's histories into HistoryTables (z, mT2, flavours, pT statistics)."""
    if not sample.has_history:
        raise ReweightError(
            f"the sample at {sample.path} has no fragmentation histories; generate it with histories "
            "(the default of `mlhad generate`) to reweight it"
        )
    columns = list(_COLUMNS) + [c for c in ("pt_n", "pt_s") if c in sample.fields]
    events = sample.read(columns, chunks=chunks)
    b = events.breaks
    flat = lambda x: ak.to_numpy(ak.flatten(x))  # noqa: E731
    return HistoryTables.from_arrays(
        flat(b.z), flat(b.mT2), flat(b.flav_old), flat(b.flav_new), ak.to_numpy(ak.num(b)),
        ak.to_numpy(events.pt_n) if "pt_n" in events.fields else None,
        ak.to_numpy(events.pt_s) if "pt_s" in events.fields else None,
        n_nodes=n_nodes,
    )


def reweighter_from_sample(sample: Sample, params: Sequence[str] | None = None, *,
                           chunks: Sequence[int] | None = None, n_nodes: int = 512) -> LundReweighter:
    """A LundReweighter for ``sample`` (all events, or the given chunks)."""
    base = FragmentationBase.from_metadata(sample.metadata, source=str(sample.path))
    return LundReweighter(tables_from_sample(sample, chunks=chunks, n_nodes=n_nodes), base, params)


def _check_finite(w: np.ndarray) -> None:  # pragma: no cover - used by the CLI layer
    if not np.all(np.isfinite(w)):
        raise ReweightError(f"{np.count_nonzero(~np.isfinite(w))} non-finite weights")
