"""Turn the chain loop's rows into events with our sample columns (docs/sample_format.md).

The result has the fields ``event``, ``quark``, ``particles``, ``breaks``, ``strings``,
``pt_n`` and ``pt_s`` with the types of a Pythia sample, so the analysis code that reads
``open_sample(...).read([...])`` runs unchanged on torch chains.
"""

from __future__ import annotations

import awkward as ak
import numpy as np
import torch

__all__ = ["assemble_events"]


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy()


def _particles(rows: dict[str, np.ndarray], fin: dict[str, np.ndarray], accepted: np.ndarray,
               n: int, first_gid: int, energy: float) -> ak.Array:
    """Hadrons of the kept attempt, ordered along the string as Pythia stores them:
    positive-end hadrons by rank, the final pair, negative-end hadrons by falling rank."""
    acc = {k: v[accepted] for k, v in rows.items()}
    pos_end = acc["from_pos"]
    parts = {
        "sid": [acc["gid"] - first_gid, fin["gid"] - first_gid, fin["gid"] - first_gid],
        "seg": [np.where(pos_end, 0, 3), np.full(len(fin["gid"]), 1), np.full(len(fin["gid"]), 2)],
        "key": [np.where(pos_end, acc["rank"], -acc["rank"]), np.zeros(len(fin["gid"]), np.int64),
                np.zeros(len(fin["gid"]), np.int64)],
        "xp": [acc["xp"], fin["xp_pos"], fin["xp_neg"]],
        "xm": [acc["xm"], fin["xm_pos"], fin["xm_neg"]],
        "px": [acc["px"], fin["px_pos"], fin["px_neg"]],
        "py": [acc["py"], fin["py_pos"], fin["py_neg"]],
        "m": [acc["m"], fin["m_pos"], fin["m_neg"]],
        "pid": [acc["pid"], fin["pid_pos"], fin["pid_neg"]],
    }
    flat = {k: np.concatenate(v) for k, v in parts.items()}
    order = np.lexsort((flat["key"], flat["seg"], flat["sid"]))
    flat = {k: v[order] for k, v in flat.items()}
    half = 0.5 * energy
    pid = flat["pid"].astype(np.int32)
    content = ak.zip({
        "px": flat["px"].astype(np.float32),
        "py": flat["py"].astype(np.float32),
        "pz": (half * (flat["xp"] - flat["xm"])).astype(np.float32),
        "e": (half * (flat["xp"] + flat["xm"])).astype(np.float32),
        "m": flat["m"].astype(np.float32),
        "pid": pid,
        "charge": np.where(pid == 111, 0, np.sign(pid)).astype(np.int8),
        "status": np.ones(len(pid), np.int8),
        "parent": np.full(len(pid), -1, np.int32),
    })
    return ak.unflatten(content, np.bincount(flat["sid"], minlength=n))


def assemble_events(
    breaks: dict[str, torch.Tensor], finals: dict[str, torch.Tensor], n_strings: int,
    first_gid: int, energy: float,
) -> ak.Array:
    """Build the per-event awkward array from the loop's break rows and final records.

    Args:
        breaks: rows of :data:`~mlhad.generators.string_sampler.chain.BREAK_ROW_FIELDS`.
        finals: rows of :data:`~mlhad.generators.string_sampler.chain.FINAL_FIELDS`.
        n_strings: number of strings; ids run over first_gid ... first_gid + n_strings - 1.
        first_gid: id of the first string.
        energy: string energy W (GeV).

    Returns:
        (n_strings,) awkward Array of events in string-id order.
    """
    rows = {k: _np(v) for k, v in breaks.items()}
    fin = {k: _np(v) for k, v in finals.items()}
    order = np.argsort(fin["gid"], kind="stable")
    fin = {k: v[order] for k, v in fin.items()}
    if len(fin["gid"]) != n_strings:
        raise RuntimeError(f"{len(fin['gid'])} of {n_strings} strings finished")  # a bug, not bad input
    border = np.argsort(rows["gid"], kind="stable")  # generation order within a string
    rows = {k: v[border] for k, v in rows.items()}
    sid = rows["gid"] - first_gid
    accepted = rows["attempt"] == fin["attempt"][sid]
    counts = np.bincount(sid, minlength=n_strings)
    brk = ak.zip({
        "z": rows["z"].astype(np.float64),
        "mT2": rows["mT2"].astype(np.float64),
        "px_new": rows["px_new"].astype(np.float64),
        "py_new": rows["py_new"].astype(np.float64),
        "from_pos": rows["from_pos"].astype(bool),
        "pid": rows["pid"].astype(np.int32),
        "flav_old": rows["flav_old"].astype(np.int32),
        "flav_new": rows["flav_new"].astype(np.int32),
        "string": np.zeros(len(sid), np.int16),
        "rank": rows["rank"].astype(np.int16),
        "accepted": accepted,
    })
    strings = ak.zip({
        "n_pos": fin["n_pos"].astype(np.int16),
        "n_neg": fin["n_neg"].astype(np.int16),
        "n_breaks": counts.astype(np.int16),
        "end_pos": np.full(n_strings, 2, np.int32),
        "end_neg": np.full(n_strings, -2, np.int32),
        "closed": np.zeros(n_strings, bool),
        "pid_pos": fin["pid_pos"].astype(np.int32),
        "pid_neg": fin["pid_neg"].astype(np.int32),
        "mT2_pos": fin["mT2_pos"].astype(np.float64),
        "mT2_neg": fin["mT2_neg"].astype(np.float64),
        "px_final": fin["px_final"].astype(np.float64),
        "py_final": fin["py_final"].astype(np.float64),
    })
    return ak.zip(
        {
            "event": fin["gid"].astype(np.int64),
            "quark": np.full(n_strings, 2, np.int8),
            "particles": _particles(rows, fin, accepted, n_strings, first_gid, energy),
            "breaks": ak.unflatten(brk, counts),
            "strings": ak.unflatten(strings, np.ones(n_strings, np.int64)),
            "pt_n": fin["pt_n"].astype(np.int32),
            "pt_s": fin["pt_s"].astype(np.float64),
        },
        depth_limit=1,
    )
