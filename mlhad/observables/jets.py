"""Exclusive jet resolutions y_{n,n+1} with the Durham and JADE algorithms, as Rivet fills them.

Rivet's ``FastJets(cfs, DURHAM)`` is fastjet's ``ee_kt_algorithm`` with E-scheme
recombination and ``JADE`` is fastjet's ``JadePlugin`` (also E-scheme). Their pair
distances are (Catani et al., PLB 269 (1991) 432; JADE, Z. Phys. C33 (1986) 23)

    Durham: d_ij = 2 min(E_i^2, E_j^2) (1 - cos theta_ij),
    JADE:   d_ij = 2 E_i E_j (1 - cos theta_ij),

and fastjet scales them by ``Q^2 = E_vis^2 = (sum_i E_i)^2`` of the clustered particles
(here: the selection, e.g. charged particles). The analyses fill
``exclusive_ymerge_max(n)``: the largest scaled distance of all merges made while at
least ``n`` jets remain, which differs from ``y_{n,n+1}`` only when the merging scales
are not monotonic (possible with E-scheme recombination). :func:`durham_y` and
:func:`jade_y` return exactly that, NaN for events with fewer than ``n + 1`` particles.

Durham is clustered by fastjet's C++ code for all events in one call. fastjet's Python
package has no JADE plugin, so JADE is clustered here with numpy, on events of equal
multiplicity at once (O(n^3) per event; also used to cross-check Durham in the tests).
"""

from __future__ import annotations

import awkward as ak
import numpy as np

from mlhad.exceptions import ConfigError, OptionalDependencyError

from ._momenta import Momenta, buckets, momenta, progress

__all__ = ["ALGORITHMS", "ymerge_max", "merge_scales_dense", "durham_y", "jade_y", "y23"]

#: Jet algorithms known to :func:`ymerge_max`.
ALGORITHMS = ("durham", "jade")


def _check(algorithm: str, njets: int) -> None:
    if algorithm not in ALGORITHMS:
        raise ConfigError(f"unknown jet algorithm {algorithm!r}; use one of {ALGORITHMS}")
    if not isinstance(njets, (int, np.integer)) or njets < 1:
        raise ConfigError(f"njets must be an integer >= 1 (2 gives y23), got {njets!r}")


def _pair_distance(p1: np.ndarray, e1: np.ndarray, p: np.ndarray, e: np.ndarray, algorithm: str) -> np.ndarray:
    """Distances between ``(B, k, 3)`` jets ``p1`` and ``(B, n, 3)`` jets ``p`` -> ``(B, k, n)``."""
    n1 = np.linalg.norm(p1, axis=-1)
    n2 = np.linalg.norm(p, axis=-1)
    norm = n1[:, :, None] * n2[:, None, :]
    cos = np.divide(p1 @ p.transpose(0, 2, 1), norm, out=np.zeros_like(norm), where=norm > 0)
    if algorithm == "durham":
        scale = np.minimum(e1[:, :, None], e[:, None, :]) ** 2
    else:
        scale = e1[:, :, None] * e[:, None, :]
    return 2.0 * scale * (1.0 - cos)


def merge_scales_dense(p: np.ndarray, e: np.ndarray, algorithm: str) -> np.ndarray:
    """Unscaled distance of each successive merge, clustering ``B`` events down to one jet.

    Args:
        p: ``(B, n, 3)`` momenta in GeV, ``n >= 2``.
        e: ``(B, n)`` energies in GeV.
        algorithm: ``"durham"`` or ``"jade"`` (E-scheme recombination).

    Returns:
        ``(B, n - 1)`` merge distances in GeV^2, in merge order (column ``t`` leaves
        ``n - 1 - t`` jets).
    """
    n_b, n, _ = p.shape
    p, e = p.copy(), e.copy()
    rows = np.arange(n_b)
    dist = _pair_distance(p, e, p, e, algorithm)
    dist[:, np.arange(n), np.arange(n)] = np.inf
    dead = np.zeros((n_b, n), dtype=bool)
    scales = np.empty((n_b, n - 1))
    for t in range(n - 1):
        i, j = np.divmod(dist.reshape(n_b, -1).argmin(axis=1), n)
        scales[:, t] = dist[rows, i, j]
        p[rows, i] += p[rows, j]  # E-scheme: four-momenta add
        e[rows, i] += e[rows, j]
        dead[rows, j] = True
        row = _pair_distance(p[rows, i][:, None], e[rows, i][:, None], p, e, algorithm)[:, 0]
        row[dead] = np.inf
        row[rows, i] = np.inf
        dist[rows, i, :] = row
        dist[rows, :, i] = row
        dist[rows, j, :] = np.inf
        dist[rows, :, j] = np.inf
    return scales


def _fastjet_durham(m: Momenta, events: np.ndarray, njets: int) -> np.ndarray:
    try:
        import fastjet
    except ImportError as err:  # pragma: no cover - fastjet is a declared dependency
        raise OptionalDependencyError(
            "Durham jet rates need the 'fastjet' package: pip install 'fastjet>=3.4.2'"
        ) from err
    take = np.repeat(np.isin(np.arange(m.n_events), events), m.counts)
    flat = ak.zip({"px": m.p[take, 0], "py": m.p[take, 1], "pz": m.p[take, 2], "E": m.e[take]})
    jets = ak.unflatten(flat, m.counts[events])
    definition = fastjet.JetDefinition0Param(fastjet.ee_kt_algorithm, fastjet.E_scheme, fastjet.Best)
    sequence = fastjet.ClusterSequence(jets, definition)
    return ak.to_numpy(sequence.exclusive_ymerge_max(njets)).astype(np.float64)


def ymerge_max(m: Momenta, njets: int, algorithm: str = "durham") -> np.ndarray:
    """``(n_events,)`` fastjet's ``exclusive_ymerge_max(njets)`` of every event.

    Args:
        m: momenta of the particles to cluster.
        njets: jets that must remain (2 gives the 3 -> 2 resolution y23).
        algorithm: ``"durham"`` (fastjet ee_kt) or ``"jade"`` (numpy).

    Returns:
        The largest merge distance over ``E_vis^2`` while ``>= njets`` jets remain;
        NaN for events with fewer than ``njets + 1`` particles.
    """
    _check(algorithm, njets)
    out = np.full(m.n_events, np.nan)
    events = np.flatnonzero(m.counts >= njets + 1)
    if events.size == 0:
        return out
    if algorithm == "durham":
        order = np.sort(events)
        out[order] = _fastjet_durham(m, order, njets)
        return out
    q2 = m.per_event_sum(m.e) ** 2
    chunks = list(buckets(m.counts, min_n=njets + 1, max_elements=500_000, power=2))
    for n, chunk in progress(chunks, total=len(chunks), desc="jade", min_total=50):
        p, e = m.dense(chunk, n)
        scales = merge_scales_dense(p, e, "jade")[:, : n - njets]
        out[chunk] = scales.max(axis=1) / q2[chunk]
    return out


def durham_y(particles: ak.Array, njets: int = 2) -> np.ndarray:
    """``(n_events,)`` Durham ``exclusive_ymerge_max(njets)`` (E-scheme, scaled by E_vis^2)."""
    return ymerge_max(momenta(particles), njets, "durham")


def jade_y(particles: ak.Array, njets: int = 2) -> np.ndarray:
    """``(n_events,)`` JADE ``exclusive_ymerge_max(njets)`` (E-scheme, scaled by E_vis^2)."""
    return ymerge_max(momenta(particles), njets, "jade")


def y23(particles: ak.Array) -> np.ndarray:
    """``(n_events,)`` Durham y23 as filled by Rivet (NaN for fewer than 3 particles)."""
    return durham_y(particles, 2)
