"""BreakFlow: a normalising-flow model of single string breaks (arXiv:2311.09296).

    p(z, px_new, py_new | state) = p_theta(z | c(state)) * p_phi(px_new, py_new)

The factorisation is Pythia's own: the pair pT is drawn first and independently of the
string state, then z from f(z | mT2) with mT2 = m^2 + |pT_old + pT_new|^2. The z flow
is conditioned on context features (log mT2 by default) and acts on the standardised
logit of z, so its density in z includes the logit Jacobian and is normalised on (0, 1).

The pair pT is isotropic in Pythia (``StringPT``: px, py independent Gaussians of equal
width, a fraction at a larger width), so by default (``pt_model="radial"``) a 1D flow
models s = log pT^2 and the azimuth is uniform:

    p(px, py) = p_s(s) / (pi pT^2),      d(px) d(py) = (pT^2 / 2) ds dphi.

``pt_model="xy"`` keeps a general 2D flow of (px, py) (flows saved before the radial
model existed).

Both flows are nflows ``Flow`` objects (MADE conditioners, arXiv:1705.07057; rational-
quadratic splines, arXiv:1906.04032). Sampling draws the base noise from the caller's
torch generator and runs the inverse transform, so results are reproducible without
touching torch's global random state.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any

import torch
from nflows.distributions import StandardNormal
from nflows.flows import Flow
from nflows.transforms import (
    CompositeTransform,
    MaskedAffineAutoregressiveTransform,
    MaskedPiecewiseRationalQuadraticAutoregressiveTransform,
    ReversePermutation,
)
from torch import nn

from mlhad.exceptions import CheckpointMismatchError, CoverageWarning, ModelError

from .config import FlowConfig
from .features import UNITS, logit_z, raw_context, sigmoid_y

__all__ = ["BreakFlow"]


def _layer(cfg: FlowConfig, features: int, context: int | None) -> nn.Module:
    common = dict(features=features, hidden_features=cfg.hidden, context_features=context,
                  num_blocks=cfg.n_blocks, use_residual_blocks=True, activation=torch.relu)
    if cfg.transform == "rqs":
        return MaskedPiecewiseRationalQuadraticAutoregressiveTransform(
            num_bins=cfg.n_bins, tails="linear", tail_bound=cfg.tail_bound, **common)
    return MaskedAffineAutoregressiveTransform(**common)


class BreakFlow(nn.Module):
    """Conditional density of one string break: z | context, and the pair pT.

    Implements the chain sampler's ``ZSampler`` and ``PTSampler`` Protocols.

    Args:
        config: architecture (an equal config is needed to load a state dict).
        seed: seed of the weight initialisation (torch's global random state is left
            as it was).

    Example:
        >>> flow = BreakFlow(FlowConfig(n_layers=1, hidden=8))
        >>> flow.config.context
        ('mT2',)
    """

    def __init__(self, config: FlowConfig | None = None, seed: int = 0) -> None:
        super().__init__()
        self.config = FlowConfig() if config is None else config
        if not isinstance(self.config, FlowConfig):
            raise ModelError(f"config must be a FlowConfig, got {type(self.config).__name__}")
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)  # nflows layers initialise from the global stream
            self._build()
        # float64 throughout: nflows' spline inverse (used for sampling) loses up to
        # 1e-2 in float32 when bins get narrow; in float64 it is exact to ~1e-10.
        self.double()

    def _build(self) -> None:
        k = len(self.config.context)
        self.z_flow = Flow(CompositeTransform([_layer(self.config, 1, k) for _ in range(self.config.n_layers)]),
                           StandardNormal([1]))
        self.pt_flow: Flow | None = None
        if self.config.pt_flow and self.config.pt_model == "xy":
            layers: list[nn.Module] = []
            for _ in range(self.config.pt_layers):
                layers += [_layer(self.config, 2, None), ReversePermutation(features=2)]
            self.pt_flow = Flow(CompositeTransform(layers), StandardNormal([2]))
        elif self.config.pt_flow:
            self.pt_flow = Flow(CompositeTransform([_layer(self.config, 1, None)
                                                    for _ in range(self.config.pt_layers)]),
                                StandardNormal([1]))
            # standardisation of s = log pT^2 (pt_scale is its width)
            self.register_buffer("pt_shift", torch.zeros((), dtype=torch.float64))
        # Preprocessing constants, fitted on training data (fit_preprocessing), saved.
        self.register_buffer("y_shift", torch.zeros((), dtype=torch.float64))
        self.register_buffer("y_scale", torch.ones((), dtype=torch.float64))
        self.register_buffer("c_shift", torch.zeros(k, dtype=torch.float64))
        self.register_buffer("c_scale", torch.ones(k, dtype=torch.float64))
        self.register_buffer("c_min", torch.full((k,), -math.inf, dtype=torch.float64))
        self.register_buffer("c_max", torch.full((k,), math.inf, dtype=torch.float64))
        self.register_buffer("pt_scale", torch.ones((), dtype=torch.float64))

    # -- preprocessing -------------------------------------------------------------------
    def fit_preprocessing(self, z: torch.Tensor, state: Mapping[str, torch.Tensor],
                          px: torch.Tensor | None = None, py: torch.Tensor | None = None) -> "BreakFlow":
        """Set standardisation constants and the training range from training data."""
        y, _ = logit_z(z)
        feats, raw = raw_context(state, self.config.context)
        with torch.no_grad():
            self.y_shift.fill_(float(y.mean()))
            self.y_scale.fill_(float(y.std().clamp(min=1e-3)))
            self.c_shift.copy_(feats.mean(0))
            self.c_scale.copy_(feats.std(0).clamp(min=1e-3))
            self.c_min.copy_(raw.min(0).values)
            self.c_max.copy_(raw.max(0).values)
            if px is not None and py is not None and self._radial:
                s = self._log_pt2(px, py)
                self.pt_shift.fill_(float(s.mean()))
                self.pt_scale.fill_(float(s.std().clamp(min=1e-3)))
            elif px is not None and py is not None:
                pt = torch.cat([torch.as_tensor(px), torch.as_tensor(py)]).to(torch.float64)
                self.pt_scale.fill_(float(pt.std()))
        return self

    @property
    def _radial(self) -> bool:
        return self.pt_flow is not None and self.config.pt_model == "radial"

    @staticmethod
    def _log_pt2(px: torch.Tensor, py: torch.Tensor) -> torch.Tensor:
        px, py = torch.as_tensor(px, dtype=torch.float64), torch.as_tensor(py, dtype=torch.float64)
        # pT = 0 exactly has probability 0; the clamp (pT >= 1 keV) keeps logs finite.
        return torch.log((px * px + py * py).clamp(min=1e-12))

    def training_range(self) -> dict[str, tuple[float, float]]:
        """Raw range of each conditioning feature seen in training."""
        return {n: (float(self.c_min[i]), float(self.c_max[i])) for i, n in enumerate(self.config.context)}

    def _context(self, state: Mapping[str, torch.Tensor], check_range: bool) -> torch.Tensor:
        feats, raw = raw_context(state, self.config.context)
        if check_range:
            self.warn_outside(raw)
        return ((feats - self.c_shift.double()) / self.c_scale.double()).to(self.y_scale.dtype)

    def outside_mask(self, raw: torch.Tensor) -> torch.Tensor:
        """(n,) True where a raw context row lies outside the training range."""
        return ((raw < self.c_min) | (raw > self.c_max)).any(dim=1)

    def warn_outside(self, raw: torch.Tensor) -> None:
        """Warn (CoverageWarning) if conditioning values lie outside the training range."""
        out = self.outside_mask(raw)
        if bool(out.any()):
            parts = []
            for i, name in enumerate(self.config.context):
                col = raw[:, i]
                n_bad = int(((col < self.c_min[i]) | (col > self.c_max[i])).sum())
                if n_bad:
                    parts.append(
                        f"{name}: {n_bad} of {col.numel()} values outside the training range "
                        f"[{float(self.c_min[i]):.4g}, {float(self.c_max[i]):.4g}] {UNITS[name]} "
                        f"(got min {float(col.min()):.4g}, max {float(col.max()):.4g})"
                    )
            warnings.warn(
                "conditioning outside the training range, the flow extrapolates there: "
                + "; ".join(parts) + ". Train on a sample that covers these values.",
                CoverageWarning, stacklevel=3)

    # -- z -----------------------------------------------------------------------------
    def log_prob_z(self, z: torch.Tensor, state: Mapping[str, torch.Tensor], *,
                   check_range: bool = True) -> torch.Tensor:
        """log p(z | state), (n,) float64, normalised over 0 < z < 1."""
        y, log_jac = logit_z(z)
        ctx = self._context(state, check_range)
        u = ((y - self.y_shift.double()) / self.y_scale.double()).to(ctx.dtype)[:, None]
        return self.z_flow.log_prob(u, context=ctx).double() - torch.log(self.y_scale.double()) + log_jac

    @torch.no_grad()
    def sample_z(self, state: Mapping[str, torch.Tensor], generator: torch.Generator | None = None, *,
                 check_range: bool = True) -> torch.Tensor:
        """One z per state row, (n,) float64 in (0, 1)."""
        ctx = self._context(state, check_range)
        eps = torch.randn(ctx.shape[0], 1, generator=generator, dtype=torch.float64).to(ctx.dtype)
        u, _ = self.z_flow._transform.inverse(eps, context=ctx)
        return sigmoid_y(u[:, 0].double() * self.y_scale.double() + self.y_shift.double())

    # -- pair pT -------------------------------------------------------------------------
    def _need_pt(self) -> Flow:
        if self.pt_flow is None:
            raise ModelError("this BreakFlow has no pT flow (FlowConfig.pt_flow = False); "
                             "give the chain a pT model, e.g. GaussianPT")
        return self.pt_flow

    def log_prob_pt(self, px: torch.Tensor, py: torch.Tensor) -> torch.Tensor:
        """log p(px_new, py_new), (n,) float64, in GeV^-2."""
        flow = self._need_pt()
        if self._radial:
            s = self._log_pt2(px, py)
            u = ((s - self.pt_shift.double()) / self.pt_scale.double())[:, None].to(self.y_scale.dtype)
            return (flow.log_prob(u).double() - torch.log(self.pt_scale.double()) - s - math.log(math.pi))
        x = torch.stack([torch.as_tensor(px), torch.as_tensor(py)], 1).double() / self.pt_scale.double()
        return flow.log_prob(x.to(self.y_scale.dtype)).double() - 2.0 * torch.log(self.pt_scale.double())

    @torch.no_grad()
    def sample_pt(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(px_new, py_new), each (n,) float64 GeV."""
        flow = self._need_pt()
        if self._radial:
            eps = torch.randn(n, 1, generator=generator, dtype=torch.float64).to(self.y_scale.dtype)
            phi = 2.0 * math.pi * torch.rand(n, generator=generator, dtype=torch.float64)
            u, _ = flow._transform.inverse(eps)
            pt = torch.exp(0.5 * (u[:, 0].double() * self.pt_scale.double() + self.pt_shift.double()))
            return pt * torch.cos(phi), pt * torch.sin(phi)
        eps = torch.randn(n, 2, generator=generator, dtype=torch.float64).to(self.y_scale.dtype)
        x, _ = flow._transform.inverse(eps)
        x = x.double() * self.pt_scale.double()
        return x[:, 0], x[:, 1]

    # -- checkpoints ----------------------------------------------------------------------
    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False):
        """Like ``nn.Module.load_state_dict``, but a state dict from a different
        architecture raises CheckpointMismatchError naming the differing keys."""
        own = self.state_dict()
        missing = sorted(set(own) - set(state_dict))
        unexpected = sorted(set(state_dict) - set(own))
        shapes = sorted(k for k in set(own) & set(state_dict)
                        if tuple(own[k].shape) != tuple(torch.as_tensor(state_dict[k]).shape))
        if strict and (missing or unexpected or shapes):
            def head(keys: list[str]) -> str:
                return ", ".join(keys[:6]) + (f" (+{len(keys) - 6} more)" if len(keys) > 6 else "")
            details = [f"{label}: {head(keys)}" for label, keys in
                       (("missing", missing), ("unexpected", unexpected), ("shape differs", shapes)) if keys]
            raise CheckpointMismatchError(
                "the state dict does not fit this BreakFlow (built from " f"{self.config}); "
                + "; ".join(details) + ". Build the model from the FlowConfig saved with the "
                "state dict (load_flow does this)")
        return super().load_state_dict(state_dict, strict=strict, assign=assign)
