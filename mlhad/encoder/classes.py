"""Particle classes from PDG ids: the categorical part of the per-particle features.

Two schemes (``EncoderConfig.class_scheme``):

``identified`` (default)
    photon, electron, muon, charged pion, charged kaon, proton, neutron, K0L, other.
    This is what the generator knows; it keeps the strangeness and baryon content that
    the hadronization parameters (probStoUD, probQQtoQ, aExtraSQuark, ...) act on.
``detector``
    photon, electron, muon, charged hadron, neutral hadron: what a particle-flow
    reconstruction provides (the classes of JetClass, OmniLearn and EveNet).

The sign of the charge is a separate feature, so ``pi+`` and ``pi-`` share a class.
Neutrinos are not classified: :func:`mlhad.encoder.features.select_visible` drops them.
"""

from __future__ import annotations

import numpy as np

from mlhad.exceptions import ConfigError

__all__ = ["CLASS_NAMES", "n_classes", "particle_class"]

CLASS_NAMES: dict[str, tuple[str, ...]] = {
    "identified": ("photon", "electron", "muon", "pion", "kaon", "proton", "neutron", "k0l", "other"),
    "detector": ("photon", "electron", "muon", "charged_hadron", "neutral_hadron"),
}

# |PDG id| -> class index in the "identified" scheme; anything else is "other" (8).
_IDENTIFIED = {22: 0, 11: 1, 13: 2, 211: 3, 321: 4, 2212: 5, 2112: 6, 130: 7}


def n_classes(scheme: str) -> int:
    """Number of classes of ``scheme``."""
    try:
        return len(CLASS_NAMES[scheme])
    except KeyError:
        raise ConfigError(f"unknown class scheme {scheme!r}; known: {sorted(CLASS_NAMES)}") from None


def particle_class(pid: np.ndarray, charge: np.ndarray, scheme: str = "identified") -> np.ndarray:
    """Class index of each particle.

    Args:
        pid: PDG ids, any integer shape.
        charge: electric charges in units of e, same shape (used by ``detector`` to
            split hadrons, and to send unknown charged/neutral ids to the right bin).
        scheme: ``"identified"`` or ``"detector"``.

    Returns:
        int64 array of the same shape with values in ``[0, n_classes(scheme))``.

    Example:
        >>> particle_class(np.array([22, -211, 2112]), np.array([0, -1, 0])).tolist()
        [0, 3, 6]
        >>> particle_class(np.array([22, -211, 2112]), np.array([0, -1, 0]), "detector").tolist()
        [0, 3, 4]
    """
    n_classes(scheme)  # validates the name
    apid = np.abs(np.asarray(pid, dtype=np.int64))
    out = np.full(apid.shape, 8, dtype=np.int64)
    for code, index in _IDENTIFIED.items():
        out[apid == code] = index
    if scheme == "identified":
        return out
    # detector: photon, e, mu keep their index; hadrons (and unknown ids) split by charge.
    charged = np.asarray(charge) != 0
    return np.where(out <= 2, out, np.where(charged, 3, 4))
