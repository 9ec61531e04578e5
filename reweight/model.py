"""Exact, differentiable event weights for new Lund z and string pT parameters.

``LundReweighter(tables, base).log_weights(theta)`` returns, for every event of a sample
generated at theta_0, log w(theta) as a torch function of theta (float64, autograd):

    w = prod_breaks [f_theta(z) / N_theta] / [f_theta0(z) / N_theta0]  x  prod_pT-draws g_theta / g_theta0

- z: the ratio of *normalised* Lund densities at every recorded z draw (kept and
  thrown-away fragmentation attempts alike). This is the accept-reject weight of
  arXiv 2308.13459 averaged over the rejected trials given the accepted z (its
  Rao-Blackwellisation): exact in distribution, never larger in variance, and
  independent of the sampler's proposal.
- pT: each Gaussian pT draw's density ratio; the event product depends only on the number
  of draws N and S = sum (pT/sigma_q)^2, which the sample stores (pt_n, pt_s):
  log w = N log r - (r - 1) S / 2, r = (sigma_0 / sigma)^2. Exact per event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

from mlhad.exceptions import ReweightError

from .base import FragmentationBase
from .breaks import class_shapes
from .lund import effective_a, log_norm_and_slope
from .parameters import canonical_name, ordered
from .tables import HistoryTables

__all__ = ["LundReweighter"]

_Z_PARAMS = ("StringZ:aLund", "StringZ:bLund", "StringZ:rFactC", "StringZ:rFactB")


class LundReweighter:
    """Event weights of a fixed sample as a function of the fragmentation parameters.

    Args:
        tables: precomputed histories of the sample (see HistoryTables).
        base: the parameters the sample was generated with.
        params: names of the parameters that will vary (order of theta vectors).
    """

    def __init__(self, tables: HistoryTables, base: FragmentationBase, params: Sequence[str] | None = None) -> None:
        self.tables = tables
        self.base = base
        self.params = ordered(params) if params is not None else list(base.point())
        if "StringPT:sigma" in self.params and (tables.pt_n is None or tables.pt_s is None):
            raise ReweightError(
                "StringPT:sigma cannot be reweighted: the sample has no pT-draw statistics "
                "(pt_n, pt_s); it was generated without histories or with StringPT:sigma = 0"
            )
        self._base_point = {k: torch.tensor(v, dtype=torch.float64) for k, v in base.point().items()}
        with torch.no_grad():
            self._base_z = self._log_density_sum(self._base_point)

    @property
    def n_events(self) -> int:
        """Events of the sample (one weight each)."""
        return self.tables.n_events

    # -- theta handling ---------------------------------------------------------------------
    def point(self, theta: Mapping[str, float | torch.Tensor] | torch.Tensor) -> dict[str, torch.Tensor]:
        """Full parameter point (base values where theta is silent) as 0-d tensors."""
        point = dict(self._base_point)
        if isinstance(theta, torch.Tensor):
            if theta.shape != (len(self.params),):
                raise ReweightError(f"theta must have shape ({len(self.params)},) for {self.params}, got {tuple(theta.shape)}")
            point.update({name: theta[i] for i, name in enumerate(self.params)})
            return point
        for name, value in theta.items():
            canonical = canonical_name(name)
            if canonical not in self.params:
                raise ReweightError(f"{canonical} is not among the varied parameters {self.params}")
            point[canonical] = torch.as_tensor(value, dtype=torch.float64)
        return point

    # -- the weight ---------------------------------------------------------------------------
    def _log_density_sum(self, p: Mapping[str, torch.Tensor]) -> torch.Tensor:
        t = self.tables
        a, c = class_shapes(t.classes, self.base, p["StringZ:aLund"], p["StringZ:bLund"],
                            p["StringZ:rFactC"], p["StringZ:rFactB"])
        b = p["StringZ:bLund"]
        log_f = t.sum_log1mz @ effective_a(a) - b * t.sum_m2_over_z - t.sum_logz @ c
        log_n, slope = log_norm_and_slope(a[:, None], b * t.node_m2, c[:, None])
        log_norm = t.hermite.gather(torch.cat([log_n.reshape(-1), slope.reshape(-1)]))
        return log_f - log_norm

    def log_weights(self, theta: Mapping[str, float | torch.Tensor] | torch.Tensor) -> torch.Tensor:
        """log w(theta) for every event, shape (n_events,), differentiable in theta."""
        p = self.point(theta)
        if any(name in self.params for name in _Z_PARAMS):
            log_w = self._log_density_sum(p) - self._base_z
        else:
            log_w = torch.zeros(self.tables.n_events, dtype=torch.float64)
        if "StringPT:sigma" in self.params:
            sigma = p["StringPT:sigma"]
            if float(sigma.detach()) <= 0:
                raise ReweightError(f"StringPT:sigma must be positive to reweight to, got {float(sigma.detach())}")
            r = (self.base.sigma / sigma) ** 2
            log_w = log_w + self.tables.pt_n * torch.log(r) - 0.5 * (r - 1.0) * self.tables.pt_s
        return log_w

    def weights(self, theta: Mapping[str, float | torch.Tensor] | torch.Tensor) -> torch.Tensor:
        """w(theta) for every event (exp of log_weights)."""
        return torch.exp(self.log_weights(theta))
