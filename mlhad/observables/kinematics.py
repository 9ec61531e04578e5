"""Per-particle and per-pair kinematics: x_p, xi_p, x_E, rapidity and p_T w.r.t. event axes, EEC.

Conventions, as in Rivet's ALEPH_1996_S3486095 and DELPHI_1996_S3430090 analyses:

* ``x_p = |p| / p_beam`` and ``x_E = E / p_beam`` with ``p_beam`` the mean momentum of
  the two beams, ``sqrt(s) / 2`` for symmetric e+e- beams (the electron mass changes it
  by 6e-11 relative at LEP1); ``xi_p = ln(1 / x_p)``.
* Rapidity w.r.t. an axis ``n``: ``y = 1/2 ln((E + p.n) / (E - p.n))`` with the particle's
  own energy (its mass, not the pion mass); the analyses histogram ``|y|``, so the sign
  convention of the axis (thrust axis towards ``z >= 0``) drops out.
* ``p_T,in = |p . n_major|`` and ``p_T,out = |p . n_minor|`` with the sphericity (ALEPH,
  DELPHI) or thrust (DELPHI) major and minor axes.
* Energy-energy correlation: every unordered pair ``i < j`` of an event, at
  ``cos chi_ij`` with weight ``E_i E_j / E_vis^2`` (DELPHI d33); the asymmetry (d34) is
  filled at ``-|cos chi|`` with weight ``+w`` for ``cos chi < 0`` and ``-w`` otherwise.
"""

from __future__ import annotations

import awkward as ak
import numpy as np

from mlhad.exceptions import ConfigError

from ._momenta import Momenta, buckets, momenta
from .exact_thrust import thrust_frame

__all__ = [
    "multiplicity_in_rapidity",
    "count_within",
    "scaled_momentum",
    "log_inverse_scaled_momentum",
    "scaled_energy",
    "rapidity_along",
    "momentum_along",
    "eec_pairs",
]


def scaled_momentum(m: Momenta, p_beam: float) -> np.ndarray:
    """``(N,)`` ``x_p = |p| / p_beam`` of every particle (``p_beam`` in GeV)."""
    return m.pmag / p_beam


def log_inverse_scaled_momentum(m: Momenta, p_beam: float) -> np.ndarray:
    """``(N,)`` ``xi_p = ln(p_beam / |p|)``; +inf for a particle at rest."""
    with np.errstate(divide="ignore"):
        return np.log(p_beam / m.pmag)


def scaled_energy(m: Momenta, p_beam: float) -> np.ndarray:
    """``(N,)`` ``x_E = E / p_beam`` of every particle."""
    return m.e / p_beam


def momentum_along(m: Momenta, axes: np.ndarray) -> np.ndarray:
    """``(N,)`` signed momentum component ``p . n`` along the event's axis ``n``.

    Args:
        m: momenta of the particles.
        axes: ``(n_events, 3)`` unit axes, one per event (NaN rows give NaN).
    """
    return np.einsum("ij,ij->i", m.p, axes[m.event])


def rapidity_along(m: Momenta, axes: np.ndarray) -> np.ndarray:
    """``(N,)`` rapidity ``1/2 ln((E + p_L) / (E - p_L))`` w.r.t. the event's axis.

    Returns +-inf for a particle with ``E == |p_L|`` (massless along the axis) and NaN
    where the inputs are unphysical (``E < |p_L|``) or the event has no axis.
    """
    p_long = momentum_along(m, axes)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 0.5 * np.log((m.e + p_long) / (m.e - p_long))


def count_within(m: Momenta, rapidity: np.ndarray, cut: float) -> np.ndarray:
    """``(n_events,)`` number of particles with ``|rapidity| <= cut`` (inclusive, as Rivet)."""
    inside = np.abs(rapidity) <= cut
    return np.bincount(m.event[inside], minlength=m.n_events).astype(np.int64)


def multiplicity_in_rapidity(particles: ak.Array, cut: float) -> np.ndarray:
    """``(n_events,)`` particles with ``|y_T| <= cut``, ``y_T`` w.r.t. their own thrust axis.

    Args:
        particles: ragged particles of the selection, e.g. ``charged_final(p)`` (ALEPH
            d20-d23 use cuts 0.5, 1.0, 1.5, 2.0).
        cut: rapidity cut, > 0.

    Raises:
        ConfigError: if ``cut`` is not a positive number.
    """
    if not isinstance(cut, (int, float, np.integer, np.floating)) or not cut > 0:
        raise ConfigError(f"the rapidity cut must be a positive number, e.g. 0.5; got {cut!r}")
    m = momenta(particles)
    return count_within(m, rapidity_along(m, thrust_frame(m)[1][:, 0]), float(cut))


def eec_pairs(m: Momenta) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All unordered particle pairs of every event, for energy-energy correlations.

    Returns:
        ``(cos_chi, weight, counts)``: flat ``(n_pairs,)`` cosines of the opening angles
        and weights ``E_i E_j / E_vis^2``, event by event (pairs ``i < j`` in index
        order), and ``(n_events,)`` pairs per event ``n (n - 1) / 2``.
    """
    counts = m.counts * (m.counts - 1) // 2
    offsets = np.concatenate([[0], np.cumsum(counts)])
    cos_chi = np.empty(offsets[-1])
    weight = np.empty(offsets[-1])
    e_vis = m.per_event_sum(m.e)
    for n, events in buckets(m.counts, min_n=2, max_elements=2_000_000, power=2):
        p, e = m.dense(events, n)
        norm = np.linalg.norm(p, axis=-1)
        unit = np.divide(p, norm[..., None], out=np.zeros_like(p), where=norm[..., None] > 0)
        i, j = np.triu_indices(n, 1)
        where = offsets[events][:, None] + np.arange(i.size)
        cos_chi[where] = np.einsum("bkc,bkc->bk", unit[:, i], unit[:, j])
        weight[where] = e[:, i] * e[:, j] / e_vis[events, None] ** 2
    return cos_chi, weight, counts
