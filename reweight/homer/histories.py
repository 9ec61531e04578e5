"""Fragmentation histories as flat per-break arrays plus per-event offsets.

A HOMER history is every string break Pythia drew for an event: the breaks of the
fragmentation attempt it kept and those of attempts it threw away and restarted
(``accepted`` False). All of them enter the event weight (arXiv 2410.06342 Sec. 3:
the weight of the full hadronization history), which is what makes the product of
normalised single-break weights an unbiased event weight.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import awkward as ak
import numpy as np

from mlhad.exceptions import SampleError
from mlhad.io import Sample
from mlhad.progress import progress_bar

__all__ = ["BreakTable", "BREAK_COLUMNS", "break_rows"]

#: Columns of ``breaks`` HOMER reads.
BREAK_COLUMNS = ("z", "mT2", "flav_old", "flav_new", "from_pos", "accepted")


@dataclass(frozen=True)
class BreakTable:
    """Every recorded string break of a set of events, flattened in event order.

    Attributes:
        z: (n_breaks,) light-cone fraction of the hadron, in (0, 1).
        m2: (n_breaks,) transverse mass squared of the hadron, GeV^2.
        flav_old, flav_new: (n_breaks,) flavour codes (docs/sample_format.md).
        from_pos: (n_breaks,) taken from the positive (quark) end.
        accepted: (n_breaks,) part of the fragmentation attempt Pythia kept.
        counts: (n_events,) breaks per event.
    """

    z: np.ndarray
    m2: np.ndarray
    flav_old: np.ndarray
    flav_new: np.ndarray
    from_pos: np.ndarray
    accepted: np.ndarray
    counts: np.ndarray

    def __post_init__(self) -> None:
        n = int(np.sum(self.counts))
        for name in BREAK_COLUMNS:
            key = "m2" if name == "mT2" else name
            if len(getattr(self, key)) != n:
                raise SampleError(f"BreakTable: {key} has {len(getattr(self, key))} entries, counts add up to {n}")
        if n and not (np.all((self.z > 0) & (self.z < 1)) and np.all(self.m2 > 0)):
            raise SampleError("histories hold z outside (0, 1) or non-positive mT2: the sample is damaged")

    @property
    def n_events(self) -> int:
        return int(self.counts.size)

    @property
    def n_breaks(self) -> int:
        return int(self.z.size)

    @property
    def offsets(self) -> np.ndarray:
        """(n_events + 1,) start of each event's breaks; event i owns offsets[i]:offsets[i+1]."""
        return np.concatenate([[0], np.cumsum(self.counts)]).astype(np.int64)

    @property
    def event_index(self) -> np.ndarray:
        """(n_breaks,) index of the event of each break."""
        return np.repeat(np.arange(self.n_events), self.counts)

    @classmethod
    def from_events(cls, events: ak.Array) -> BreakTable:
        """From events read with the ``breaks.*`` columns of :data:`BREAK_COLUMNS`."""
        b = events.breaks

        def flat(name: str, dtype: type) -> np.ndarray:
            values = ak.to_numpy(ak.flatten(b[name]))
            if np.ma.isMaskedArray(values):  # the records are nullable in the Parquet schema
                if np.ma.is_masked(values):
                    raise SampleError(f"breaks.{name} holds missing values: the sample's histories are damaged")
                values = np.ma.getdata(values)
            return np.asarray(values).astype(dtype)

        return cls(z=flat("z", np.float64), m2=flat("mT2", np.float64), flav_old=flat("flav_old", np.int32),
                   flav_new=flat("flav_new", np.int32), from_pos=flat("from_pos", bool),
                   accepted=flat("accepted", bool), counts=ak.to_numpy(ak.num(b)).astype(np.int64))

    @classmethod
    def from_sample(cls, sample: Sample, *, max_events: int | None = None, progress: bool = True) -> BreakTable:
        """Read a sample's histories chunk by chunk.

        Raises:
            SampleError: the sample has no fragmentation histories.
        """
        if not sample.has_history:
            raise SampleError(
                f"the sample at {sample.path} has no fragmentation histories, which HOMER's steps 2 and 3 need; "
                "generate the simulation with histories (the default of `mlhad generate`, i.e. without --no-history)"
            )
        total = sample.n_events if max_events is None else min(max_events, sample.n_events)
        parts: list[BreakTable] = []
        done = 0
        columns = [f"breaks.{c}" for c in BREAK_COLUMNS]
        bar = progress_bar(total=total, desc=f"histories {sample.path.name}", unit="ev", disable=not progress)
        try:
            for info in sample.chunks:
                if done >= total:
                    break
                events = sample.read(columns, chunks=[info.index])[: total - done]
                parts.append(cls.from_events(events))
                done += len(events)
                bar.update(len(events))
        finally:
            bar.close()
        return cls.concatenate(parts)

    @classmethod
    def concatenate(cls, parts: Sequence[BreakTable]) -> BreakTable:
        if not parts:
            raise SampleError("no events: cannot build a table of string breaks")
        return cls(**{f: np.concatenate([getattr(p, f) for p in parts])
                      for f in ("z", "m2", "flav_old", "flav_new", "from_pos", "accepted", "counts")})

    def select(self, events: np.ndarray) -> BreakTable:
        """The table of some events, in the given order.

        Args:
            events: (k,) event indices (or a boolean mask of length n_events).
        """
        events = np.asarray(events)
        if events.dtype == bool:
            events = np.flatnonzero(events)
        rows = break_rows(self.offsets, self.counts, events)
        return BreakTable(z=self.z[rows], m2=self.m2[rows], flav_old=self.flav_old[rows],
                          flav_new=self.flav_new[rows], from_pos=self.from_pos[rows],
                          accepted=self.accepted[rows], counts=self.counts[events])


def break_rows(offsets: np.ndarray, counts: np.ndarray, events: np.ndarray) -> np.ndarray:
    """Flat break indices of the given events, event after event.

    Args:
        offsets: (n_events + 1,) event offsets into the flat break arrays.
        counts: (n_events,) breaks per event.
        events: (k,) event indices.

    Returns:
        (sum counts[events],) int64 indices.
    """
    c = counts[events]
    total = int(c.sum())
    starts = offsets[events]
    shift = np.repeat(starts - (np.cumsum(c) - c), c)
    return shift + np.arange(total, dtype=np.int64)
