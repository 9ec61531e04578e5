"""Assemble raw recorder output into the ``breaks``/``strings``/``trials`` columns.

Records arrive per event in time order. Each string's records end with its final-two
record, which says how many breaks of each end the kept attempt has (``n_pos``,
``n_neg``); the kept attempt is the last ``n_pos + n_neg`` records of the string, the
earlier ones belong to attempts that Pythia threw away and restarted.
"""

from __future__ import annotations

import awkward as ak
import numpy as np

from mlhad.exceptions import GenerationError
from mlhad.native.recorder import RawHistories

from .events import RecordArrays
from .flavours import chain_flavours

__all__ = ["assemble_histories", "pt_statistics", "STATE_FIELDS"]

#: String-end state stored with ``history_detail`` "full" or "trials".
STATE_FIELDS = ("gamma_old", "x_pos_old", "x_neg_old", "px_old", "py_old")


def _zip(columns: dict[str, np.ndarray], counts: np.ndarray) -> ak.Array:
    flat = ak.zip({k: ak.Array(np.ascontiguousarray(v)) for k, v in columns.items()})
    return ak.unflatten(flat, counts)


def assemble_histories(raw: RawHistories, record: RecordArrays, *, detail: str = "lean") -> dict[str, ak.Array]:
    """Build the history columns of a batch of events.

    Args:
        raw: the recorder's output for the batch.
        record: the same events' record columns (for the string end partons).
        detail: ``"lean"``, ``"full"`` or ``"trials"``.

    Returns:
        ``{"breaks": ..., "strings": ...}`` (plus ``"trials"``), each an awkward array
        with one list per event.
    """
    nb, ns = raw.n_breaks, raw.n_strings
    n_events = nb.size
    if n_events != record.counts.size:
        raise GenerationError(
            f"history/event mismatch: {n_events} recorded histories for {record.counts.size} events"
        )
    b, s = raw.breaks, raw.strings
    n_records = s["n_records"].astype(np.int64)

    per_event = np.bincount(np.repeat(np.arange(n_events), ns), weights=n_records, minlength=n_events)
    if not np.array_equal(per_event.astype(np.int64), nb):
        bad = int(np.flatnonzero(per_event.astype(np.int64) != nb)[0])
        raise GenerationError(
            f"event {bad}: {nb[bad]} break records but its strings claim {int(per_event[bad])}; "
            "a string was fragmented without a final-two step"
        )
    string_of = np.repeat(np.arange(n_records.size), n_records)
    event_first_string = np.concatenate([[0], np.cumsum(ns)[:-1]])
    event_of_break = np.repeat(np.arange(n_events), nb)
    string_in_event = string_of - event_first_string[event_of_break]
    string_first_record = np.concatenate([[0], np.cumsum(n_records)[:-1]])
    pos_in_string = np.arange(nb.sum()) - string_first_record[string_of]
    n_kept = (s["n_pos"] + s["n_neg"]).astype(np.int64)
    accepted = pos_in_string >= (n_records - n_kept)[string_of]

    event_of_string = np.repeat(np.arange(n_events), ns)
    rec_start = np.concatenate([[0], np.cumsum(record.counts)[:-1]])
    end_pos = record.id[rec_start[event_of_string] + s["i_pos"].astype(np.int64)]
    end_neg = record.id[rec_start[event_of_string] + s["i_neg"].astype(np.int64)]

    from_pos = b["from_pos"].astype(bool)
    rank = b["rank"].astype(np.int64)
    pid = b["pid"].astype(np.int64)
    if "flav_old" in b:
        flav_old, flav_new = b["flav_old"].astype(np.int32), b["flav_new"].astype(np.int32)
    else:
        flav_old, flav_new = _derive_flavours(string_of, from_pos, rank, pid, raw.chain_starts)

    breaks = {
        "z": b["z"],
        "mT2": b["mT2"],
        # pair pT is kept for features (HOMER, flows); sigma reweighting uses pt_n/pt_s
        "px_new": b["px_new"].astype(np.float32),
        "py_new": b["py_new"].astype(np.float32),
        "from_pos": from_pos,
        "pid": pid.astype(np.int32),
        "flav_old": flav_old,
        "flav_new": flav_new,
        "string": string_in_event.astype(np.int16),
        "rank": rank.astype(np.int16),
        "accepted": accepted,
    }
    if detail in ("full", "trials"):
        missing = [f for f in STATE_FIELDS if f not in b]
        if missing:
            raise GenerationError(f"history detail {detail!r}: the recorder did not provide {missing}")
        breaks.update({f: b[f] for f in STATE_FIELDS})
    strings = {
        "n_pos": s["n_pos"].astype(np.int16),
        "n_neg": s["n_neg"].astype(np.int16),
        "n_breaks": n_records.astype(np.int16),
        "end_pos": end_pos.astype(np.int32),
        "end_neg": end_neg.astype(np.int32),
        "closed": (np.abs(end_pos) == 21) & (np.abs(end_neg) == 21),
        "pid_pos": s["pid_pos"].astype(np.int32),
        "pid_neg": s["pid_neg"].astype(np.int32),
        "mT2_pos": s["mT2_pos"],
        "mT2_neg": s["mT2_neg"],
        "px_final": s["px_final"],
        "py_final": s["py_final"],
    }
    out = {"breaks": _zip(breaks, nb), "strings": _zip(strings, ns)}
    if detail == "trials":
        if raw.trials is None or raw.n_trials is None:
            raise GenerationError("history detail 'trials': Pythia recorded no z trials (VariationFrag:z off?)")
        t = raw.trials
        trials = {
            "z": t["z"],
            "mT2": np.abs(t["mT2_signed"]),
            "accepted": t["mT2_signed"] >= 0,
            "f_prel": t["f_prel"],
            "id_old": t["id_old"].astype(np.int32),
            "id_new": t["id_new"].astype(np.int32),
        }
        out["trials"] = _zip(trials, raw.n_trials)
    return out


def _derive_flavours(string_of, from_pos, rank, pid, starts):
    """Flavours from hadron ids along each (string, end, attempt) chain (python backend).

    ``starts`` holds Pythia's flavour at every rank-0 break, in time order.
    """
    n = pid.size
    if n == 0:
        z = np.zeros(0, dtype=np.int32)
        return z, z
    first = rank == 0
    if starts is None or starts.size != int(first.sum()):
        raise GenerationError("fragmentation history: chain-start flavours missing or incomplete")
    start_flavour = np.zeros(n, dtype=np.int64)
    start_flavour[first] = starts
    order = np.lexsort((np.arange(n), ~from_pos, string_of))  # string, end, time
    s_sorted, side_sorted = string_of[order], from_pos[order]
    new_group = np.ones(n, dtype=bool)
    new_group[1:] = (s_sorted[1:] != s_sorted[:-1]) | (side_sorted[1:] != side_sorted[:-1])
    if np.any(~first[order][new_group]):
        raise GenerationError("fragmentation history: a string end does not start at rank 0")
    fo, fn = chain_flavours(pid[order], first[order], start_flavour[order])
    flav_old = np.empty(n, dtype=np.int32)
    flav_new = np.empty(n, dtype=np.int32)
    flav_old[order], flav_new[order] = fo, fn
    return flav_old, flav_new


def pt_statistics(w_lo: np.ndarray, w_hi: np.ndarray, sigma0: float, sigma_lo: float, sigma_hi: float):
    """Recover (N, S) of the pT draws of each event from two in-situ sigma weights.

    Each Gaussian pT draw contributes ``w = r exp(-(r - 1) g^2 / 2)`` with
    ``r = (sigma0 / sigma)^2`` and ``g^2 = (pT / sigma_q)^2`` (Pythia's per-draw weight),
    so ``log W = N log r - (r - 1) S / 2`` with ``S = sum g^2``: two variation points
    determine N (an integer, which checks the solution) and S exactly.

    Returns:
        ``(n, s)``: int32 counts and float64 sums, shape (n_events,).
    """
    r_lo, r_hi = (sigma0 / sigma_lo) ** 2, (sigma0 / sigma_hi) ** 2
    a = np.array([[np.log(r_lo), -0.5 * (r_lo - 1.0)], [np.log(r_hi), -0.5 * (r_hi - 1.0)]])
    rhs = np.vstack([np.log(w_lo), np.log(w_hi)])
    n_real, s = np.linalg.solve(a, rhs)
    n = np.rint(n_real)
    if np.any(np.abs(n_real - n) > 1e-4):
        worst = float(np.max(np.abs(n_real - n)))
        raise GenerationError(
            f"pT-draw count from Pythia's in-situ weights is not an integer (off by {worst:.2e}); "
            "the StringPT weights do not follow the Gaussian form (thermal model or close packing on?)"
        )
    return n.astype(np.int32), s
