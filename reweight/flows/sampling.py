"""Fragment strings with a BreakFlow as the z (and pT) sampler of the torch chain.

A chain of N strings draws ~15 N values of z; a handful will fall just outside the
range of conditioning values seen in training (the tails of mT2). Per-call warnings
would drown the user, so the chain counts them and warns once, at the end, if their
fraction exceeds ``outside_tolerance``; the count is always returned.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping

import awkward as ak
import torch

from mlhad.exceptions import ConfigError, CoverageWarning
from mlhad.generators.string_sampler import GaussianPT, StringParams, fragment
from mlhad.generators.string_sampler.base import PTSampler

from .features import UNITS, raw_context
from .model import BreakFlow

__all__ = ["FlowSampler", "fragment_with_flow"]


class FlowSampler:
    """Adapter: a BreakFlow as ``ZSampler`` and ``PTSampler``, counting conditioning
    values outside the flow's training range instead of warning per call."""

    def __init__(self, flow: BreakFlow) -> None:
        self.flow = flow
        self.n_draws = 0
        self.n_outside = 0

    def sample_z(self, state: Mapping[str, torch.Tensor], generator: torch.Generator | None = None) -> torch.Tensor:
        _, raw = raw_context(state, self.flow.config.context)
        self.n_draws += raw.shape[0]
        self.n_outside += int(self.flow.outside_mask(raw).sum())
        return self.flow.sample_z(state, generator, check_range=False)

    def log_prob_z(self, z: torch.Tensor, state: Mapping[str, torch.Tensor]) -> torch.Tensor:
        return self.flow.log_prob_z(z, state, check_range=False)

    def sample_pt(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        return self.flow.sample_pt(n, generator)

    def log_prob_pt(self, px: torch.Tensor, py: torch.Tensor) -> torch.Tensor:
        return self.flow.log_prob_pt(px, py)

    @property
    def outside_fraction(self) -> float:
        return self.n_outside / self.n_draws if self.n_draws else 0.0


def fragment_with_flow(
    flow: BreakFlow,
    n_strings: int,
    params: StringParams | None = None,
    *,
    seed: int | None = None,
    generator: torch.Generator | None = None,
    pt_sampler: PTSampler | None = None,
    outside_tolerance: float = 1e-3,
    batch_size: int = 50_000,
    progress: bool = True,
) -> tuple[ak.Array, dict[str, float]]:
    """Fragment strings with the flow's z (and, if it has one, pT) model.

    Args:
        flow: a trained BreakFlow.
        n_strings: number of strings.
        params: string parameters (energy, stop test, final-two b); default: the preset.
        seed, generator: randomness, as for :func:`~mlhad.generators.string_sampler.fragment`.
        pt_sampler: pT model; default the flow's pT flow, else Pythia's Gaussian.
        outside_tolerance: warn (CoverageWarning) if more than this fraction of z draws
            was conditioned outside the training range.
        batch_size, progress: as for ``fragment``.

    Returns:
        ``(events, info)``: events in the sample format, and ``info`` with
        ``n_draws``, ``n_outside`` and ``outside_fraction`` of the z draws.
    """
    if not 0.0 <= outside_tolerance <= 1.0:
        raise ConfigError(f"outside_tolerance must lie in [0, 1], got {outside_tolerance!r}")
    params = StringParams() if params is None else params
    adapter = FlowSampler(flow)
    if pt_sampler is None:
        pt_sampler = adapter if flow.pt_flow is not None else GaussianPT.from_params(params)
    was_training = flow.training
    flow.eval()
    try:
        events = fragment(n_strings, params, adapter, pt_sampler, seed=seed, generator=generator,
                          batch_size=batch_size, progress=progress)
    finally:
        flow.train(was_training)
    info = {"n_draws": adapter.n_draws, "n_outside": adapter.n_outside,
            "outside_fraction": adapter.outside_fraction}
    if adapter.outside_fraction > outside_tolerance:
        ranges = ", ".join(f"{name} in [{lo:.4g}, {hi:.4g}] {UNITS[name]}"
                           for name, (lo, hi) in flow.training_range().items())
        warnings.warn(
            f"{adapter.n_outside} of {adapter.n_draws} z draws ({100 * adapter.outside_fraction:.2f}%) "
            f"were conditioned outside the flow's training range ({ranges}); the flow extrapolates "
            "there. Train on a sample that covers the chains' states (e.g. a larger one).",
            CoverageWarning, stacklevel=2)
    return events, info
