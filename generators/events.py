"""Turn Pythia's event record into mlhad's per-event particle records.

Kept: every final-state particle (status 1) and every particle that decayed after
hadronization (status 2: decayed hadrons, and e.g. taus from heavy-flavour decays), so
that Rivet-style "unstable particle" spectra and a HepMC decay tree can be rebuilt.
Partons and the bookkeeping part of the record are dropped. ``parent`` points to the
decayed particle (within the kept list) a particle comes from, -1 for primary hadrons.
"""

from __future__ import annotations

from typing import Any

import awkward as ak
import numpy as np

__all__ = ["RecordArrays", "record_from_batch", "record_from_event", "particles_from_record", "primary_quark"]


class RecordArrays:
    """Flat event-record columns of a batch of events plus per-event counts."""

    __slots__ = ("counts", "id", "status", "mother1", "px", "py", "pz", "e", "m")

    def __init__(self, counts, id, status, mother1, px, py, pz, e, m) -> None:  # noqa: A002
        self.counts = np.asarray(counts, dtype=np.int64)
        self.id = np.asarray(id, dtype=np.int32)
        self.status = np.asarray(status, dtype=np.int32)
        self.mother1 = np.asarray(mother1, dtype=np.int64)
        self.px, self.py, self.pz, self.e, self.m = (
            np.asarray(a, dtype=np.float64) for a in (px, py, pz, e, m)
        )


def record_from_batch(batch: ak.Array) -> RecordArrays:
    """Columns of the awkward array returned by ``Pythia.nextBatch``."""
    prt = batch.prt
    flat = lambda x: ak.to_numpy(ak.flatten(x))  # noqa: E731
    return RecordArrays(
        ak.to_numpy(ak.num(prt)), flat(prt.id), flat(prt.status), flat(prt.mother1),
        flat(prt.p.px), flat(prt.p.py), flat(prt.p.pz), flat(prt.p.e), flat(prt.m),
    )


def record_from_event(events: list[list[tuple]]) -> RecordArrays:
    """Columns from per-event lists of ``(id, status, mother1, px, py, pz, e, m)``."""
    counts = [len(ev) for ev in events]
    rows = [row for ev in events for row in ev]
    arr = np.array(rows, dtype=np.float64).reshape(-1, 8)
    return RecordArrays(counts, arr[:, 0], arr[:, 1], arr[:, 2], *arr[:, 3:].T)


def _is_hadron(pid: np.ndarray) -> np.ndarray:
    a = np.abs(pid.astype(np.int64))
    return ((a // 10) % 10 > 0) & ((a // 100) % 10 > 0) & (a % 10 > 0)


def _charges(pid: np.ndarray, charge_of: Any) -> np.ndarray:
    uniq, inverse = np.unique(pid, return_inverse=True)
    table = np.array([charge_of(int(i)) for i in uniq], dtype=np.int8)
    return table[inverse]


def particles_from_record(rec: RecordArrays, charge_of: Any) -> ak.Array:
    """Build the ``particles`` column (see docs/sample_format.md).

    Args:
        rec: flat record columns of n events.
        charge_of: callable pid -> integer electric charge (e.g. via ParticleData).

    Returns:
        (n,) awkward array of lists of particle records.
    """
    status = rec.status
    final = status > 0
    decayed = (status < 0) & (np.abs(status) >= 81) & (_is_hadron(rec.id) | (np.abs(status) >= 91))
    keep = final | decayed

    starts = np.concatenate([[0], np.cumsum(rec.counts)[:-1]])
    event_of = np.repeat(np.arange(rec.counts.size), rec.counts)
    # new index of each kept entry within its event; -1 for dropped entries
    kept_counts = np.bincount(event_of[keep], minlength=rec.counts.size)
    kept_starts = np.concatenate([[0], np.cumsum(kept_counts)[:-1]])
    new_index = np.full(status.size, -1, dtype=np.int64)
    kept_pos = np.flatnonzero(keep)
    new_index[kept_pos] = np.arange(kept_pos.size) - kept_starts[event_of[kept_pos]]

    mother_global = starts[event_of] + rec.mother1
    valid = (rec.mother1 > 0) & (rec.mother1 < rec.counts[event_of])
    parent = np.where(valid, new_index[np.where(valid, mother_global, 0)], -1)

    columns = {
        "px": rec.px[keep].astype(np.float32),
        "py": rec.py[keep].astype(np.float32),
        "pz": rec.pz[keep].astype(np.float32),
        "e": rec.e[keep].astype(np.float32),
        "m": rec.m[keep].astype(np.float32),
        "pid": rec.id[keep].astype(np.int32),
        "charge": _charges(rec.id[keep], charge_of),
        "status": np.where(final[keep], 1, 2).astype(np.int8),
        "parent": parent[keep].astype(np.int32),
    }
    flat = ak.zip({k: ak.Array(v) for k, v in columns.items()})
    return ak.unflatten(flat, kept_counts)


def primary_quark(rec: RecordArrays) -> np.ndarray:
    """|id| of the first outgoing hard-process quark (status -23) per event, 0 if none."""
    event_of = np.repeat(np.arange(rec.counts.size), rec.counts)
    hard = (np.abs(rec.status) == 23) & (np.abs(rec.id) >= 1) & (np.abs(rec.id) <= 5)
    out = np.zeros(rec.counts.size, dtype=np.int8)
    idx = np.flatnonzero(hard)
    # first occurrence per event: iterate in reverse so the first one wins
    out[event_of[idx[::-1]]] = np.abs(rec.id[idx[::-1]])
    return out
