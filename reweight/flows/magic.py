"""MAGIC: Microscopic Alterations Generated from Infrared Collections (arXiv:2311.09296).

Fine-tune the z flow p_theta(z | c) so that macroscopic observables of whole chains
match a target. Chains are generated once with a frozen copy q of the flow; changing
theta reweights each chain by its exact likelihood ratio

    w_i(theta) = prod_{breaks b of chain i} p_theta(z_b | c_b) / q(z_b | c_b),

the product running over *every* z draw of the chain, including those of attempts that
were thrown away and restarted: the probability of a whole history is the product over
all its draws, and the restarts depend on them. Everything else in the chain (sides,
flavours, pT, stop test, final two) does not depend on theta and cancels. The pT flow is
not tuned: lean histories do not record the pT of every stop trial, so its ratio would
be incomplete.

The loss is the sum over observables of the shape chi2 between the weighted chain
histograms and the target (:mod:`.distance`), plus optionally ``kl_weight`` times the
per-break KL(q || p_theta) estimated on the chains. When the effective sample size
n_eff / N = (sum w)^2 / (N sum w^2) falls below ``neff_threshold``, chains are
regenerated with the current flow (which becomes the new q).

Gradients are exact and memory-bounded: the loss is first differentiated with respect
to the per-chain log-weights, then the break log-densities are back-propagated in
chunks weighted by those derivatives.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import awkward as ak
import torch

from mlhad.exceptions import ModelError
from mlhad.generators.string_sampler import StringParams, ZSampler
from mlhad.progress import progress_bar

from .config import MagicConfig
from .data import break_table
from .distance import BinnedTarget, bin_index, chi2_distance, make_edges, weighted_histogram
from .model import BreakFlow
from .observables import OBSERVABLES, compute_observables
from .sampling import FlowSampler, fragment_with_flow

__all__ = ["build_targets", "ChainBatch", "make_batch", "chain_log_weights", "weighted_chi2",
           "effective_fraction", "magic", "unweighted_chi2"]

_CHUNK = 200_000  # breaks per back-propagation chunk


def build_targets(events: ak.Array, names: Sequence[str], n_bins: int = 20) -> dict[str, BinnedTarget]:
    """Target histograms from a target sample (binning adapted to the target)."""
    values = compute_observables(events, names)
    return {n: BinnedTarget.from_values(n, v, make_edges(v, OBSERVABLES[n].discrete, n_bins))
            for n, v in values.items()}


@dataclass
class ChainBatch:
    """Pre-generated chains: their break draws, the proposal's log-densities (fixed) and
    the bin of each chain in each target histogram."""

    breaks: dict[str, torch.Tensor]
    log_q: torch.Tensor
    bins: dict[str, torch.Tensor]
    n_chains: int


def make_batch(events: ak.Array, proposal: ZSampler, targets: Mapping[str, BinnedTarget]) -> ChainBatch:
    """Prepare chains generated with the z model ``proposal`` for reweighting."""
    table = break_table(events, "all")
    with torch.no_grad():
        log_q = proposal.log_prob_z(table["z"], table)
    values = compute_observables(events, list(targets))
    bins = {n: torch.as_tensor(bin_index(values[n], targets[n].edges)) for n in targets}
    return ChainBatch(table, log_q, bins, len(events))


def chain_log_weights(model: ZSampler, batch: ChainBatch, *, grad: bool = False) -> torch.Tensor:
    """(n_chains,) log w_i = sum over the chain's z draws of log p(z | c) - log q(z | c).

    ``model`` is any z model (``ZSampler``): a :class:`FlowSampler` for MAGIC, or the
    exact :class:`~mlhad.generators.string_sampler.LundZ` for parameter reweighting.
    """
    with torch.set_grad_enabled(grad):
        log_p = model.log_prob_z(batch.breaks["z"], batch.breaks)
        return torch.zeros(batch.n_chains, dtype=log_p.dtype).index_add(
            0, batch.breaks["chain"], log_p - batch.log_q)


def effective_fraction(log_w: torch.Tensor) -> float:
    """n_eff / N = (sum w)^2 / (N sum w^2), in (0, 1]."""
    lw = log_w.detach() - log_w.detach().max()
    w = torch.exp(lw)
    return float(w.sum() ** 2 / (w.numel() * (w * w).sum()))


def weighted_chi2(log_w: torch.Tensor, batch: ChainBatch, targets: Mapping[str, BinnedTarget]
                  ) -> dict[str, torch.Tensor]:
    """Shape chi2 of each observable for self-normalised weights w = N softmax(log w)."""
    w = torch.softmax(log_w, 0) * batch.n_chains
    out = {}
    for name, target in targets.items():
        sumw, sumw2 = weighted_histogram(batch.bins[name], w, len(target.sumw))
        out[name] = chi2_distance(sumw, sumw2, target)
    return out


def _step(model: ZSampler, batch: ChainBatch, targets: Mapping[str, BinnedTarget], kl_weight: float
          ) -> tuple[float, dict[str, float], float]:
    """One exact gradient evaluation; returns (loss, chi2 per observable, n_eff / N)."""
    log_w = chain_log_weights(model, batch).requires_grad_(True)
    chi2 = weighted_chi2(log_w, batch, targets)
    loss = sum(chi2.values())
    (g,) = torch.autograd.grad(loss, log_w)
    m = batch.breaks["z"].numel()
    kl_value = 0.0
    for start in range(0, m, _CHUNK):
        part = {k: v[start:start + _CHUNK] for k, v in batch.breaks.items()}
        log_p = model.log_prob_z(part["z"], part)
        surrogate = (g[part["chain"]] * log_p).sum()
        if kl_weight > 0:
            kl = (batch.log_q[start:start + _CHUNK] - log_p).sum() / m
            kl_value += float(kl.detach())
            surrogate = surrogate + kl_weight * kl
        surrogate.backward()
    return (float(loss.detach()) + kl_weight * kl_value, {k: float(v.detach()) for k, v in chi2.items()},
            effective_fraction(log_w))


def magic(
    flow: BreakFlow,
    targets: Mapping[str, BinnedTarget],
    params: StringParams | None = None,
    config: MagicConfig | None = None,
    *,
    progress: bool = True,
) -> tuple[BreakFlow, dict[str, Any]]:
    """Fine-tune a copy of ``flow`` so that its chains match the target histograms.

    Args:
        flow: trained BreakFlow (left unchanged).
        targets: one BinnedTarget per observable (:func:`build_targets`, or data).
        params: string parameters of the chains (energy, stop test, final-two b).
        config: MAGIC settings.
        progress: show a progress bar.

    Returns:
        ``(tuned, history)``: the fine-tuned flow and per-step ``loss``, ``chi2`` (per
        observable), ``neff`` (n_eff / N), ``regenerated`` (steps at which chains were
        regenerated) and ``seconds``.
    """
    config = MagicConfig() if config is None else config
    params = StringParams() if params is None else params
    missing = [n for n in config.observables if n not in targets]
    if missing:
        raise ModelError(f"no target histogram for the observables {missing}; targets: {sorted(targets)}")
    targets = {n: targets[n] for n in config.observables}
    gen = torch.Generator().manual_seed(config.seed)
    tuned = copy.deepcopy(flow)
    if tuned.pt_flow is not None:
        tuned.pt_flow.requires_grad_(False)
    opt = torch.optim.Adam([p for p in tuned.z_flow.parameters()], lr=config.lr)
    # Cosine decay to lr / 10: each step's gradient is estimated on a finite batch of
    # (regenerated) chains, and a constant rate leaves the flow jittering at that noise.
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=config.steps, eta_min=0.1 * config.lr)

    def regenerate() -> ChainBatch:
        proposal = copy.deepcopy(tuned).eval()
        events, _ = fragment_with_flow(proposal, config.n_chains, params, generator=gen, progress=False,
                                       outside_tolerance=1.0)
        return make_batch(events, FlowSampler(proposal), targets)

    history: dict[str, Any] = {"loss": [], "chi2": [], "neff": [], "regenerated": [0]}
    start = time.perf_counter()
    tuned.eval()  # no dropout/batch-norm in the flow: eval only silences training flags
    model = FlowSampler(tuned)
    batch = regenerate()
    with progress_bar(total=config.steps, desc="MAGIC", unit="step", disable=not progress) as bar:
        for step in range(config.steps):
            opt.zero_grad()
            loss, chi2, neff = _step(model, batch, targets, config.kl_weight)
            opt.step()
            sched.step()
            history["loss"].append(loss)
            history["chi2"].append(chi2)
            history["neff"].append(neff)
            bar.set_postfix(loss=f"{loss:.1f}", neff=f"{neff:.2f}")
            bar.update(1)
            if neff < config.neff_threshold and step + 1 < config.steps:
                batch = regenerate()
                history["regenerated"].append(step + 1)
    history["seconds"] = time.perf_counter() - start
    history["n_bins"] = {n: int(len(t.sumw)) for n, t in targets.items()}
    return tuned, history


def unweighted_chi2(events: ak.Array, targets: Mapping[str, BinnedTarget]) -> dict[str, float]:
    """Shape chi2 of unweighted events against each target (evaluation of a flow)."""
    values = compute_observables(events, list(targets))
    out = {}
    for n, t in targets.items():
        idx = torch.as_tensor(bin_index(values[n], t.edges))
        sumw, sumw2 = weighted_histogram(idx, torch.ones(len(idx), dtype=torch.float64), len(t.sumw))
        out[n] = float(chi2_distance(sumw, sumw2, t))
    return out

