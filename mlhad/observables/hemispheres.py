"""Hemisphere masses and jet broadenings, hemispheres split by the plane normal to the thrust axis.

With the thrust axis ``n_T``, particles with ``p . n_T > 0`` form one hemisphere and
those with ``p . n_T < 0`` the other (a particle exactly in the plane counts half in
each, as in Rivet's ``Hemispheres``). With ``E_vis = sum_i E_i`` of the selected
particles (Clavelli, PLB 85 (1979) 111; Catani, Turnock, Webber, PLB 295 (1992) 269):

    heavy/light mass   M^2_{h,l} / E_vis^2 = max / min of (sum_{hemi} p)^2 / E_vis^2,
    mass difference    (M^2_h - M^2_l) / E_vis^2,
    broadenings        B_pm = sum_{hemi pm} |p_i x n_T| / (2 sum_i |p_i|),
                       B_W = max(B_+, B_-), B_N = min, B_T = B_+ + B_-, B_D = |B_+ - B_-| .

Squared masses are four-momentum sums ``E^2 - |p|^2`` and clipped at 0 (float32 inputs
can give a massless hemisphere ``-1e-7``). Events with fewer than 2 particles give NaN.
"""

from __future__ import annotations

import awkward as ak
import numpy as np

from ._momenta import Momenta, momenta
from .exact_thrust import thrust_frame

__all__ = ["HEMISPHERE_NAMES", "hemisphere_shapes", "hemisphere_masses", "jet_broadenings"]

#: Keys of :func:`hemisphere_shapes`.
HEMISPHERE_NAMES = ("m2_heavy", "m2_light", "m2_diff", "b_wide", "b_narrow", "b_total", "b_diff")


def hemisphere_shapes(m: Momenta, thrust_axis: np.ndarray) -> dict[str, np.ndarray]:
    """Scaled hemisphere masses and broadenings of every event.

    Args:
        m: momenta of the selected particles.
        thrust_axis: ``(n_events, 3)`` unit thrust axes (NaN rows for skipped events).

    Returns:
        ``{name: (n_events,) array}`` for the names in :data:`HEMISPHERE_NAMES`.
    """
    axis = np.nan_to_num(thrust_axis)[m.event]
    along = np.einsum("ij,ij->i", m.p, axis)
    share_plus = np.where(along > 0, 1.0, np.where(along < 0, 0.0, 0.5))
    share_minus = 1.0 - share_plus
    transverse = np.sqrt(np.clip(m.pmag**2 - along**2, 0.0, None))

    def mass2(share: np.ndarray) -> np.ndarray:
        energy = m.per_event_sum(share * m.e)
        p2 = sum(m.per_event_sum(share * m.p[:, c]) ** 2 for c in range(3))
        return np.clip(energy**2 - p2, 0.0, None)

    e_vis2 = m.per_event_sum(m.e) ** 2
    denominator = 2.0 * m.per_event_sum(m.pmag)
    bad = ~np.isfinite(thrust_axis).all(axis=1) | (e_vis2 <= 0) | (denominator <= 0)
    e_vis2[bad] = denominator[bad] = 1.0
    m_plus, m_minus = mass2(share_plus) / e_vis2, mass2(share_minus) / e_vis2
    b_plus = m.per_event_sum(share_plus * transverse) / denominator
    b_minus = m.per_event_sum(share_minus * transverse) / denominator
    out = {
        "m2_heavy": np.maximum(m_plus, m_minus),
        "m2_light": np.minimum(m_plus, m_minus),
        "m2_diff": np.abs(m_plus - m_minus),
        "b_wide": np.maximum(b_plus, b_minus),
        "b_narrow": np.minimum(b_plus, b_minus),
        "b_total": b_plus + b_minus,
        "b_diff": np.abs(b_plus - b_minus),
    }
    for values in out.values():
        values[bad] = np.nan
    return out


def _shapes(particles: ak.Array) -> dict[str, np.ndarray]:
    m = momenta(particles)
    return hemisphere_shapes(m, thrust_frame(m)[1][:, 0])


def hemisphere_masses(particles: ak.Array) -> dict[str, np.ndarray]:
    """``{"m2_heavy", "m2_light", "m2_diff"}``: ``(n_events,)`` masses over ``E_vis^2``."""
    out = _shapes(particles)
    return {k: out[k] for k in ("m2_heavy", "m2_light", "m2_diff")}


def jet_broadenings(particles: ak.Array) -> dict[str, np.ndarray]:
    """``{"b_wide", "b_narrow", "b_total", "b_diff"}``: ``(n_events,)`` broadenings."""
    out = _shapes(particles)
    return {k: out[k] for k in ("b_wide", "b_narrow", "b_total", "b_diff")}
