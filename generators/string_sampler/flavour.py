"""Flavour selection of the pion string (Pythia's ``StringFlav`` for the preset).

String-end flavours follow Pythia's signs: the positive (quark) end carries a quark
(+1 = d, +2 = u) and makes each hadron with a new antiquark ``flav_new`` (-1, -2); the
negative end carries an antiquark and picks quarks. After a break the end carries
``-flav_new``.

With ``StringFlav:probStoUD = 0`` and ``probQQtoQ = 0`` the new flavour is u or d with
equal probability. A flavour-diagonal pick (u ubar, d dbar) becomes a pi0 with
probability ``mesonMix1 = 1/2``; otherwise it would be an eta or eta', which the preset
switches off (``etaSup = etaPrimeSup = 0``): ``StringFlav::combine`` returns 0 and the
flavour is drawn again. Net: P(charged) = 2/3 per break for prob_pi0_diagonal = 1/2.
"""

from __future__ import annotations

import torch

from .params import PI0_MASS, PION_MASS

__all__ = ["pick_new_flavour", "pion_id", "pion_mass", "pion_charge", "final_pion"]


def pion_id(flav1: torch.Tensor, flav2: torch.Tensor) -> torch.Tensor:
    """PDG id of the pion made of two flavour codes of opposite sign (any order).

    Args:
        flav1, flav2: (n,) int tensors in {+-1, +-2}, one quark and one antiquark.

    Returns:
        (n,) int32: 111 for u ubar / d dbar, 211 for u dbar, -211 for d ubar.
    """
    diagonal = flav1.abs() == flav2.abs()
    up = torch.where(flav1.abs() == 2, flav1, flav2)  # the signed u (anti)quark
    charged = torch.where(up > 0, 211, -211)
    return torch.where(diagonal, torch.full_like(charged, 111), charged).to(torch.int32)


def pion_mass(pid: torch.Tensor) -> torch.Tensor:
    """Pion masses in GeV (float64): m0(211) for charged, m0(111) for neutral."""
    return torch.where(pid == 111, PI0_MASS, PION_MASS).to(torch.float64)


def pion_charge(pid: torch.Tensor) -> torch.Tensor:
    """Electric charge (int8) of pions: sign of the PDG id, 0 for pi0."""
    return torch.where(pid == 111, 0, torch.sign(pid)).to(torch.int8)


def pick_new_flavour(
    flav_old: torch.Tensor, prob_pi0: float, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Draw the new flavour at a string end, redrawing vetoed eta/eta' picks.

    Args:
        flav_old: (n,) flavours at the ends (+-1, +-2).
        prob_pi0: probability that a diagonal pick is kept as a pi0.
        generator: torch random generator.

    Returns:
        (n,) new flavour codes with the sign opposite to ``flav_old``.
    """
    n = flav_old.numel()
    quark = torch.empty(n, dtype=flav_old.dtype)
    todo = torch.arange(n)
    while todo.numel() > 0:
        r = torch.rand(2, todo.numel(), dtype=torch.float64, generator=generator)
        q = torch.where(r[0] < 0.5, 1, 2).to(flav_old.dtype)
        keep = (q != flav_old[todo].abs()) | (r[1] < prob_pi0)
        quark[todo[keep]] = q[keep]
        todo = todo[~keep]
    return -torch.sign(flav_old) * quark


def final_pion(
    flav1: torch.Tensor,
    flav2: torch.Tensor,
    prob_pi0: float,
    n_try: int,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The hadron joining the last two flavours (``finalTwo``, up to ``n_try`` tries).

    Returns:
        ``(pid, ok)``: the pion id and whether it could be formed; a diagonal pair fails
        all tries with probability (1 - prob_pi0)^n_try and the string is restarted.
    """
    pid = pion_id(flav1, flav2)
    diagonal = pid == 111
    r = torch.rand(flav1.numel(), dtype=torch.float64, generator=generator)
    ok = ~diagonal | (r < 1.0 - (1.0 - prob_pi0) ** n_try)
    return pid, ok
