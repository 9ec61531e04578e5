"""The final two hadrons of a string (Pythia's ``StringFragmentation::finalTwo``).

When the stop test fires, the trial hadron of the end that was stepping keeps its
flavour and pT; the other end's flavour and ``-flav_new`` form the second hadron, whose
pair pT is minus the trial's. The remaining light-cone momenta (dx+, dx-) are shared in
the rest frame of the remainder, with the two-body momentum lambda and the ordering
reversed with probability 1 / (1 + exp(b lambda)); each hadron comes out on shell,
x+ x- W^2 = mT2. Any failure (no energy left, the
hadrons do not fit, no hadron from the flavours) restarts the whole string.
"""

from __future__ import annotations

import torch

from .flavour import final_pion, pion_mass
from .params import StringParams

__all__ = ["final_two"]


def final_two(
    s: dict[str, torch.Tensor], params: StringParams, generator: torch.Generator | None = None
) -> dict[str, torch.Tensor]:
    """Join the two string ends with two hadrons (vectorised over strings).

    Args:
        s: (n,) tensors: ``from_pos`` (side of the trial step), ``f_new``, ``pid``,
            ``m`` (trial hadron flavour, id, mass), ``px_new``, ``py_new`` (trial pair
            pT), ``fp``, ``fn`` (end flavours), ``pxp``, ``pyp``, ``pxn``, ``pyn`` (end
            pT), ``dxp``, ``dxm`` (remaining light-cone fractions of W), ``e_rem``,
            ``w2_rem`` (GeV, GeV^2).
        params: string parameters (W, b_lund, flavour constants).
        generator: torch random generator.

    Returns:
        Dict of (n,) tensors: ``ok`` (bool), ``pid_pos``, ``pid_neg``, ``mT2_pos``,
        ``mT2_neg``, ``px_final``, ``py_final`` (pair pT on the positive side) and the
        hadrons' ``{xp,xm,px,py,m}_{pos,neg}`` (light-cone fractions of W, GeV).
    """
    fp_side = s["from_pos"]
    other_flav = torch.where(fp_side, s["fn"], s["fp"])
    pid_other, flav_ok = final_pion(-s["f_new"], other_flav, params.prob_pi0_diagonal,
                                    params.n_try_flav, generator)
    m_other = pion_mass(pid_other)
    pid_pos = torch.where(fp_side, s["pid"], pid_other)
    pid_neg = torch.where(fp_side, pid_other, s["pid"])
    m_pos = torch.where(fp_side, s["m"], m_other)
    m_neg = torch.where(fp_side, m_other, s["m"])
    sign = torch.where(fp_side, 1.0, -1.0).to(torch.float64)
    px_final, py_final = sign * s["px_new"], sign * s["py_new"]
    px_pos, py_pos = s["pxp"] + px_final, s["pyp"] + py_final
    px_neg, py_neg = s["pxn"] - px_final, s["pyn"] - py_final
    mT2_pos = m_pos**2 + px_pos**2 + py_pos**2
    mT2_neg = m_neg**2 + px_neg**2 + py_neg**2

    wT2 = params.w2 * s["dxp"] * s["dxm"]
    fits = torch.sqrt(wT2.clamp(min=0.0)) >= torch.sqrt(mT2_pos) + torch.sqrt(mT2_neg)
    lam2 = (wT2 - mT2_pos - mT2_neg) ** 2 - 4.0 * mT2_pos * mT2_neg
    ok = (s["e_rem"] >= 0) & (s["w2_rem"] >= 0) & flav_ok & fits & (lam2 > 0)

    lam = torch.sqrt(lam2.clamp(min=0.0))
    prob_reverse = 1.0 / (1.0 + torch.exp(torch.clamp(params.b_lund * lam, max=50.0)))
    safe_wT2 = torch.where(ok, wT2, torch.ones_like(wT2))
    xpz = 0.5 * lam / safe_wT2
    r = torch.rand(xpz.numel(), dtype=torch.float64, generator=generator)
    xpz = torch.where(r < prob_reverse, -xpz, xpz)
    xm_diff = (mT2_pos - mT2_neg) / safe_wT2
    xe_pos, xe_neg = 0.5 * (1.0 + xm_diff), 0.5 * (1.0 - xm_diff)
    return {
        "ok": ok,
        "pid_pos": pid_pos,
        "pid_neg": pid_neg,
        "mT2_pos": mT2_pos,
        "mT2_neg": mT2_neg,
        "px_final": px_final,
        "py_final": py_final,
        "xp_pos": (xe_pos + xpz) * s["dxp"],
        "xm_pos": (xe_pos - xpz) * s["dxm"],
        "px_pos": px_pos,
        "py_pos": py_pos,
        "m_pos": m_pos,
        "xp_neg": (xe_neg - xpz) * s["dxp"],
        "xm_neg": (xe_neg + xpz) * s["dxm"],
        "px_neg": px_neg,
        "py_neg": py_neg,
        "m_neg": m_neg,
    }

