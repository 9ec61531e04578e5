"""Fragment a batch of u ubar strings break by break: Pythia's string algorithm in torch.

One loop iteration advances every unfinished string by one break
(``StringFragmentation::fragment`` for a single 1+1D string region):

1. pick the end (+ or - with probability 1/2 each), the new flavour and the pair pT;
   the trial hadron has pT = pT_old + pT_new and transverse mass mT2;
2. stop test (``energyUsedUp``): if the remaining W^2 is below W_min^2, with
   W_min = (stopMass + 2 m_q + stopNewFlav m_q)(1 +- stopSmear), form the final two
   hadrons (:func:`final_two`); if that fails, restart the whole string;
3. otherwise draw z from the z sampler given the state, take x_dir,had = z x_dir,old
   and x_inv,had = mT2 / (x_dir,had W^2); if the hadron does not fit on the string
   (``kinematicsHadron`` fails), restart the string.

Strings that finish leave the batch (the state is compacted), so the cost per step
follows the number of strings still fragmenting. Every z draw is recorded, with
``accepted`` marking the draws of the attempt that was kept.
"""

from __future__ import annotations

import torch

from .base import PTSampler, ZSampler
from .final_two import final_two
from .flavour import pick_new_flavour, pion_id, pion_mass
from .params import StringParams

__all__ = ["run_chains", "BREAK_ROW_FIELDS", "FINAL_FIELDS"]

#: Per-break rows recorded by the loop (all (n,) tensors, concatenated over steps).
BREAK_ROW_FIELDS = (
    "gid", "attempt", "z", "mT2", "px_new", "py_new", "from_pos", "pid", "flav_old",
    "flav_new", "rank", "xp", "xm", "px", "py", "m",
)
#: Per-string records of the final step (see :func:`final_two`) plus counters.
FINAL_FIELDS = (
    "gid", "attempt", "n_pos", "n_neg", "pt_n", "pt_s", "n_stuck", "pid_pos", "pid_neg",
    "mT2_pos", "mT2_neg", "px_final", "py_final", "xp_pos", "xm_pos", "px_pos", "py_pos",
    "m_pos", "xp_neg", "xm_neg", "px_neg", "py_neg", "m_neg",
)

_F64 = torch.float64
_I64 = torch.int64


def _fresh_state(gid: torch.Tensor) -> dict[str, torch.Tensor]:
    n = gid.numel()
    zeros = torch.zeros(n, dtype=_F64)
    return {
        "gid": gid, "attempt": torch.zeros(n, dtype=_I64), "tries": torch.zeros(n, dtype=_I64),
        "n_stuck": torch.zeros(n, dtype=_I64),
        "xpp": torch.ones(n, dtype=_F64), "xnp": zeros.clone(),
        "xpn": zeros.clone(), "xnn": torch.ones(n, dtype=_F64),
        "pxp": zeros.clone(), "pyp": zeros.clone(), "pxn": zeros.clone(), "pyn": zeros.clone(),
        "fp": torch.full((n,), 2, dtype=_I64), "fn": torch.full((n,), -2, dtype=_I64),
        "rp": torch.zeros(n, dtype=_I64), "rn": torch.zeros(n, dtype=_I64),
        "stop_mass": zeros.clone(), "pt_n": torch.zeros(n, dtype=_I64), "pt_s": zeros.clone(),
    }


def _restart(st: dict[str, torch.Tensor], mask: torch.Tensor, params: StringParams) -> None:
    """Start the strings in ``mask`` afresh (new attempt), as Pythia's fallback loop does."""
    if not bool(mask.any()):
        return
    st["attempt"] = st["attempt"] + mask.long()
    tries = st["tries"] + mask.long()
    # Pythia gives up after max_tries restarts ("stuck in joining"); the event is then
    # generated again from scratch, with the nominal stop mass.
    stuck = mask & (tries > params.max_tries)
    st["n_stuck"] = st["n_stuck"] + stuck.long()
    st["tries"] = torch.where(stuck, 0, tries)
    grow = mask & ~stuck & (st["tries"] > params.max_tries - params.n_stop_mass)
    st["stop_mass"] = torch.where(
        stuck, params.stop_mass, torch.where(grow, st["stop_mass"] * params.fac_stop_mass, st["stop_mass"])
    )
    for key, value in (("xpp", 1.0), ("xnp", 0.0), ("xpn", 0.0), ("xnn", 1.0), ("pxp", 0.0),
                       ("pyp", 0.0), ("pxn", 0.0), ("pyn", 0.0)):
        st[key] = torch.where(mask, torch.full_like(st[key], value), st[key])
    st["fp"] = torch.where(mask, 2, st["fp"])
    st["fn"] = torch.where(mask, -2, st["fn"])
    st["rp"] = torch.where(mask, 0, st["rp"])
    st["rn"] = torch.where(mask, 0, st["rn"])


def run_chains(
    n_strings: int,
    params: StringParams,
    z_sampler: ZSampler,
    pt_sampler: PTSampler,
    generator: torch.Generator | None = None,
    *,
    first_gid: int = 0,
    on_finish=None,
) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """Fragment ``n_strings`` strings to completion, all in one vectorised batch.

    Args:
        n_strings: number of strings (> 0).
        params: string parameters.
        z_sampler, pt_sampler: models of z and of the pair pT.
        generator: torch random generator (the only source of randomness).
        first_gid: id of the first string (rows carry ``gid``).
        on_finish: optional callable(n_finished_now) for progress reporting.

    Returns:
        ``(breaks, finals)``: dicts of concatenated tensors with the fields
        :data:`BREAK_ROW_FIELDS` (one row per z draw, in generation order) and
        :data:`FINAL_FIELDS` (one row per string, in order of completion).
    """
    w2 = params.w2
    sigma_q2 = params.sigma**2 / 2.0
    cm = params.constituent_mass
    st = _fresh_state(torch.arange(first_gid, first_gid + n_strings, dtype=_I64))
    st["stop_mass"] = torch.full((n_strings,), params.stop_mass, dtype=_F64)
    rows: list[dict[str, torch.Tensor]] = []
    finals: list[dict[str, torch.Tensor]] = []

    while st["gid"].numel() > 0:
        n = st["gid"].numel()
        from_pos = torch.rand(n, dtype=_F64, generator=generator) < 0.5
        f_old = torch.where(from_pos, st["fp"], st["fn"])
        f_new = pick_new_flavour(f_old, params.prob_pi0_diagonal, generator)
        pid = pion_id(f_old, f_new)
        m = pion_mass(pid)
        px_new, py_new = pt_sampler.sample_pt(n, generator)
        st["pt_n"] = st["pt_n"] + 1
        st["pt_s"] = st["pt_s"] + (px_new**2 + py_new**2) / sigma_q2
        px_had = torch.where(from_pos, st["pxp"], st["pxn"]) + px_new
        py_had = torch.where(from_pos, st["pyp"], st["pyn"]) + py_new
        mT2 = m * m + px_had**2 + py_had**2

        dxp, dxm = st["xpp"] - st["xpn"], st["xnn"] - st["xnp"]
        e_rem = 0.5 * params.energy * (dxp + dxm)
        w2_rem = w2 * dxp * dxm - (st["pxp"] + st["pxn"]) ** 2 - (st["pyp"] + st["pyn"]) ** 2
        smear = 1.0 + (2.0 * torch.rand(n, dtype=_F64, generator=generator) - 1.0) * params.stop_smear
        w_min = (st["stop_mass"] + 2.0 * cm + params.stop_new_flav * cm) * smear
        stop = (e_rem < 0) | (w2_rem < w_min**2)

        restart = torch.zeros(n, dtype=torch.bool)
        done = torch.zeros(n, dtype=torch.bool)
        if bool(stop.any()):
            idx = stop.nonzero().squeeze(1)
            sub = {k: st[k][idx] for k in ("fp", "fn", "pxp", "pyp", "pxn", "pyn")}
            sub.update(from_pos=from_pos[idx], f_new=f_new[idx], pid=pid[idx], m=m[idx],
                       px_new=px_new[idx], py_new=py_new[idx], dxp=dxp[idx], dxm=dxm[idx],
                       e_rem=e_rem[idx], w2_rem=w2_rem[idx])
            fin = final_two(sub, params, generator)
            ok = fin.pop("ok")
            restart[idx[~ok]] = True
            done[idx[ok]] = True
            good = idx[ok]
            fin = {k: v[ok] for k, v in fin.items()}
            for key in ("gid", "attempt", "pt_n", "pt_s", "n_stuck"):
                fin[key] = st[key][good]
            fin["n_pos"], fin["n_neg"] = st["rp"][good], st["rn"][good]
            finals.append(fin)

        go = ~stop
        if bool(go.any()):
            idx = go.nonzero().squeeze(1)
            fpos = from_pos[idx]
            state = {
                "mT2": mT2[idx],
                "rank": torch.where(fpos, st["rp"][idx], st["rn"][idx]),
                "from_pos": fpos,
            }
            z = z_sampler.sample_z(state, generator).to(_F64)
            x_dir = torch.where(fpos, st["xpp"][idx], st["xnn"][idx])
            x_inv = torch.where(fpos, st["xnp"][idx], st["xpn"][idx])
            fits = state["mT2"] < z * x_dir * (1.0 - x_inv) * w2
            x_dir_had = z * x_dir
            x_inv_had = state["mT2"] / (x_dir_had * w2)
            rows.append({
                "gid": st["gid"][idx], "attempt": st["attempt"][idx], "z": z, "mT2": state["mT2"],
                "px_new": px_new[idx], "py_new": py_new[idx], "from_pos": fpos, "pid": pid[idx],
                "flav_old": f_old[idx], "flav_new": f_new[idx], "rank": state["rank"],
                "xp": torch.where(fpos, x_dir_had, x_inv_had), "xm": torch.where(fpos, x_inv_had, x_dir_had),
                "px": px_had[idx], "py": py_had[idx], "m": m[idx],
            })
            restart[idx[~fits]] = True
            upd = idx[fits]
            pos, neg = upd[fpos[fits]], upd[~fpos[fits]]
            xd, xi = x_dir_had[fits], x_inv_had[fits]
            pmask = fpos[fits]
            st["xpp"][pos] -= xd[pmask]
            st["xnp"][pos] += xi[pmask]
            st["xnn"][neg] -= xd[~pmask]
            st["xpn"][neg] += xi[~pmask]
            st["pxp"][pos], st["pyp"][pos] = -px_new[pos], -py_new[pos]
            st["pxn"][neg], st["pyn"][neg] = -px_new[neg], -py_new[neg]
            st["fp"][pos] = -f_new[pos]
            st["fn"][neg] = -f_new[neg]
            st["rp"][pos] += 1
            st["rn"][neg] += 1

        _restart(st, restart, params)
        if bool(done.any()):
            keep = ~done
            st = {k: v[keep] for k, v in st.items()}
            if on_finish is not None:
                on_finish(int(done.sum()))

    return _concat(rows, BREAK_ROW_FIELDS), _concat(finals, FINAL_FIELDS)


def _concat(parts: list[dict[str, torch.Tensor]], fields: tuple[str, ...]) -> dict[str, torch.Tensor]:
    return {f: torch.cat([p[f] for p in parts]) for f in fields} if parts else {}
