"""Quark content of hadrons and the flavour chain along a string end.

Pythia builds each hadron from the flavour at the string end (``flavOld``) and a new
flavour (``flavNew``); the end then carries ``anti(flavNew)``. In terms of signed quark
content vectors c (counts of d, u, s, c, b; antiquarks negative) this is linear:

    c(flavNew_k) = c(hadron_k) - c(flavOld_k),     c(flavOld_{k+1}) = -c(flavNew_k)
    =>  c(flavOld_k) = c(flavOld_0) - sum_{j<k} c(hadron_j)

so the flavours of a whole chain follow from the end parton and the hadron ids by a
cumulative sum -- no per-break Python work, and no slow attribute reads in the hook.
Flavour-diagonal mesons (pi0, eta, omega, phi, ...) have content 0: whatever q qbar
mixture Pythia picked, flavNew = anti(flavOld) for them, which content 0 reproduces.
Diquark spin is not recoverable from the hadron and is not needed for z sampling.
"""

from __future__ import annotations

import numpy as np

from mlhad.exceptions import GenerationError

__all__ = ["hadron_content", "parton_content", "content_to_code", "chain_flavours"]

_FLAVOURS = 5  # d, u, s, c, b


def _digits(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    a = np.abs(ids.astype(np.int64))
    return (a // 1000) % 10, (a // 100) % 10, (a // 10) % 10


def hadron_content(pid: np.ndarray) -> np.ndarray:
    """Signed quark content of hadrons.

    Args:
        pid: (n,) PDG ids of mesons or baryons.

    Returns:
        (n, 5) int8 array: net number of d, u, s, c, b quarks (antiquarks negative).
    """
    pid = np.asarray(pid, dtype=np.int64)
    q1, q2, q3 = _digits(pid)
    out = np.zeros((pid.size, _FLAVOURS), dtype=np.int8)
    rows = np.arange(pid.size)
    sign = np.where(pid < 0, -1, 1).astype(np.int8)

    baryon = q1 > 0
    for q in (q1, q2, q3):
        sel = baryon & (q >= 1) & (q <= _FLAVOURS)
        np.add.at(out, (rows[sel], q[sel] - 1), sign[sel])

    # Mesons |id| = ... n1 n2 nJ: the quark is the up-type one of (n1, n2) if n1 is
    # up-type (u, c), else n2; e.g. 211 = u dbar, 321 = u sbar, 511 = d bbar.
    meson = (~baryon) & (q2 != q3) & (q2 >= 1) & (q3 >= 1) & (q2 <= _FLAVOURS) & (q3 <= _FLAVOURS)
    n1, n2 = q2[meson], q3[meson]
    up_type = (n1 % 2) == 0
    quark = np.where(up_type, n1, n2)
    antiquark = np.where(up_type, n2, n1)
    r = rows[meson]
    np.add.at(out, (r, quark - 1), sign[meson])
    np.add.at(out, (r, antiquark - 1), -sign[meson])
    return out


def parton_content(pid: np.ndarray) -> np.ndarray:
    """Signed content of string-end partons: quarks (+-1..5) and diquarks (+-q1q20s)."""
    pid = np.asarray(pid, dtype=np.int64)
    out = np.zeros((pid.size, _FLAVOURS), dtype=np.int8)
    rows = np.arange(pid.size)
    sign = np.where(pid < 0, -1, 1).astype(np.int8)
    a = np.abs(pid)
    quark = (a >= 1) & (a <= _FLAVOURS)
    np.add.at(out, (rows[quark], a[quark] - 1), sign[quark])
    diquark = (a > 1000) & (a < 10000)
    for q in ((a // 1000) % 10, (a // 100) % 10):
        sel = diquark & (q >= 1) & (q <= _FLAVOURS)
        np.add.at(out, (rows[sel], q[sel] - 1), sign[sel])
    return out


def content_to_code(content: np.ndarray) -> np.ndarray:
    """Encode content vectors: a quark as +-q (1..5), a diquark as +-(1000 q1 + 100 q2).

    Returns 0 where the content is neither (which signals an inconsistent chain).
    """
    content = np.asarray(content, dtype=np.int64)
    total = content.sum(axis=1)
    nabs = np.abs(content).sum(axis=1)
    sign = np.sign(total)
    code = np.zeros(content.shape[0], dtype=np.int64)
    quark = (nabs == 1) & (np.abs(total) == 1)
    code[quark] = sign[quark] * (np.argmax(np.abs(content[quark]), axis=1) + 1)
    diquark = (nabs == 2) & (np.abs(total) == 2)
    if diquark.any():
        c = np.abs(content[diquark])
        flav = np.arange(1, _FLAVOURS + 1)
        # highest and lowest flavour present (equal for a qq diquark like uu)
        high = np.max(np.where(c > 0, flav, 0), axis=1)
        low = np.min(np.where(c > 0, flav, 99), axis=1)
        code[diquark] = sign[diquark] * (1000 * high + 100 * low)
    return code.astype(np.int32)


def chain_flavours(
    hadron_pid: np.ndarray, segment_start: np.ndarray, start_parton: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Old and new flavour codes of every break along string-end chains.

    Args:
        hadron_pid: (n,) hadron ids, breaks ordered chain by chain (one chain = the
            breaks of one string end in one fragmentation attempt, in time order).
        segment_start: (n,) bool, True at the first break of each chain.
        start_parton: (n,) id of the chain's end parton (read where segment_start).

    Returns:
        ``(flav_old, flav_new)`` int32 codes (see :func:`content_to_code`).

    Raises:
        GenerationError: if a derived flavour is neither a quark nor a diquark, which
            would mean a hadron that the string model cannot make from this end.
    """
    hadron_pid = np.asarray(hadron_pid)
    n = hadron_pid.size
    if n == 0:
        empty = np.zeros(0, dtype=np.int32)
        return empty, empty
    h = hadron_content(hadron_pid).astype(np.int32)
    seg_id = np.cumsum(segment_start) - 1
    if seg_id[0] < 0:
        raise GenerationError("chain_flavours: the first break must start a chain")
    csum = np.cumsum(h, axis=0)
    before = csum - h  # sum over earlier breaks (all chains)
    first = np.flatnonzero(segment_start)
    offset = before[first][seg_id]  # subtract what earlier chains contributed
    start = parton_content(np.asarray(start_parton)[first]).astype(np.int32)[seg_id]
    old = start - (before - offset)
    new = h - old
    flav_old, flav_new = content_to_code(old), content_to_code(new)
    bad = (flav_old == 0) | (flav_new == 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise GenerationError(
            f"flavour chain inconsistent at break {i}: hadron {int(hadron_pid[i])} from "
            f"end content {old[i].tolist()} (d,u,s,c,b); please report this with the seed"
        )
    return flav_old, flav_new
