"""Identified hadrons counted by Rivet's LEP1 analyses, as data.

Each :class:`Species` names the PDG ids Rivet switches on (``abs(pid)``, so charge
conjugates are always included) and any extra cut. Particles are taken from Rivet's
``UnstableParticles`` (:func:`mlhad.observables.selection.unstable`), i.e. before decay.

Notes taken from the analyses' code:
    * ALEPH counts eta and eta' (spectra d30, d31 and rates d44-y03, y04) only for
      ``x_p >= 0.1``: species ``eta_xp01`` and ``eta_prime_xp01``; DELPHI counts all.
    * ALEPH's "Sigma(1385)+-" includes pids 3114 and 3224; DELPHI's d40-y06 only 3114
      (Sigma(1385)- and its antiparticle): species ``sigma1385_pm`` vs ``sigma1385_minus``.
    * DELPHI's "B+, B0" rate (d36-y09) switches on 511, 521 and 531 (B_s included).
    * K0 is counted as K0_S + K0_L (310, 130), Omega as Omega- + anti-Omega+ (3334).
"""

from __future__ import annotations

from dataclasses import dataclass

from mlhad.exceptions import RegistryError

__all__ = ["Species", "SPECIES", "species"]


@dataclass(frozen=True)
class Species:
    """An identified-hadron selection.

    Attributes:
        name: lowercase identifier used in observable names (``x_p_<name>``, ``n_<name>``).
        pids: absolute PDG ids; a particle counts if ``|pid|`` is one of them.
        label: human-readable name.
        xp_min: count only particles with ``x_p >= xp_min`` (0: no cut).
    """

    name: str
    pids: tuple[int, ...]
    label: str
    xp_min: float = 0.0


_TABLE = (
    Species("pi_pm", (211,), "pi+-"),
    Species("k_pm", (321,), "K+-"),
    Species("p", (2212,), "p, pbar"),
    Species("gamma", (22,), "photon"),
    Species("pi0", (111,), "pi0"),
    Species("eta", (221,), "eta"),
    Species("eta_xp01", (221,), "eta with x_p >= 0.1", 0.1),
    Species("eta_prime", (331,), "eta'(958)"),
    Species("eta_prime_xp01", (331,), "eta'(958) with x_p >= 0.1", 0.1),
    Species("k0", (310, 130), "K0 (K0_S + K0_L)"),
    Species("lambda", (3122,), "Lambda"),
    Species("sigma0", (3212,), "Sigma0"),
    Species("xi_minus", (3312,), "Xi-"),
    Species("omega_minus", (3334,), "Omega-"),
    Species("sigma1385_pm", (3114, 3224), "Sigma(1385)+-"),
    Species("sigma1385_minus", (3114,), "Sigma(1385)-"),
    Species("xi1530_0", (3324,), "Xi(1530)0"),
    Species("delta_pp", (2224,), "Delta(1232)++"),
    Species("lambda_b", (5122,), "Lambda_b"),
    Species("rho0", (113,), "rho(770)0"),
    Species("omega", (223,), "omega(782)"),
    Species("phi", (333,), "phi(1020)"),
    Species("kstar0", (313,), "K*(892)0"),
    Species("kstar_pm", (323,), "K*(892)+-"),
    Species("k2star0", (315,), "K*2(1430)0"),
    Species("f0_980", (9010221,), "f0(980)"),
    Species("f2_1270", (225,), "f2(1270)"),
    Species("d_pm", (411,), "D+-"),
    Species("d0", (421,), "D0"),
    Species("dstar_pm", (413,), "D*(2010)+-"),
    Species("b_mesons", (511, 521, 531), "B0, B+-, B0_s"),
)

#: All known species by name.
SPECIES: dict[str, Species] = {s.name: s for s in _TABLE}


def species(name: str) -> Species:
    """Look up a species by name; RegistryError (with close names) if unknown."""
    try:
        return SPECIES[name]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(name, SPECIES, n=3)
        hint = f"; did you mean {close}?" if close else ""
        raise RegistryError(
            f"unknown hadron species {name!r}{hint} Known: {sorted(SPECIES)}"
        ) from None
