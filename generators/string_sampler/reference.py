"""Reference break samplers: the Lund function for z and Pythia's Gaussian pT."""

from __future__ import annotations

import math
from collections.abc import Mapping

import torch

from mlhad.exceptions import ConfigError

from .lund import lund_log_prob, sample_lund
from .params import StringParams

__all__ = ["LundZ", "GaussianPT"]


class LundZ:
    """z ~ Lund symmetric function f(z | mT2) with parameters (a, b).

    Example:
        >>> import torch
        >>> z = LundZ(0.68, 0.98).sample_z({"mT2": torch.full((3,), 0.1, dtype=torch.float64)},
        ...                                torch.Generator().manual_seed(1))
        >>> bool(((z > 0) & (z < 1)).all())
        True
    """

    def __init__(self, a: float, b: float) -> None:
        if not (0.0 < a < 10.0 and b > 0.0 and math.isfinite(b)):
            raise ConfigError(
                f"Lund parameters must have 0 < a < 10 and b > 0, got a = {a!r}, b = {b!r}"
            )
        self.a = float(a)
        self.b = float(b)

    @classmethod
    def from_params(cls, params: StringParams) -> "LundZ":
        return cls(params.a_lund, params.b_lund)

    def __repr__(self) -> str:
        return f"LundZ(a={self.a}, b={self.b})"

    def sample_z(
        self, state: Mapping[str, torch.Tensor], generator: torch.Generator | None = None
    ) -> torch.Tensor:
        return sample_lund(state["mT2"], self.a, self.b, generator)

    def log_prob_z(self, z: torch.Tensor, state: Mapping[str, torch.Tensor]) -> torch.Tensor:
        return lund_log_prob(z, state["mT2"], self.a, self.b)


class GaussianPT:
    """Pythia's ``StringPT::pxyGauss``: px, py ~ N(0, (sigma/sqrt 2)^2), with a fraction
    ``enhanced_fraction`` of draws at ``enhanced_width`` times that width."""

    def __init__(self, sigma: float, enhanced_fraction: float = 0.0, enhanced_width: float = 1.0) -> None:
        if not sigma > 0 or not 0.0 <= enhanced_fraction <= 1.0 or not enhanced_width > 0:
            raise ConfigError(
                "GaussianPT needs sigma > 0, 0 <= enhanced_fraction <= 1 and enhanced_width > 0, "
                f"got {sigma!r}, {enhanced_fraction!r}, {enhanced_width!r}"
            )
        self.sigma = float(sigma)
        self.sigma_q = self.sigma / math.sqrt(2.0)
        self.enhanced_fraction = float(enhanced_fraction)
        self.enhanced_width = float(enhanced_width)

    @classmethod
    def from_params(cls, params: StringParams) -> "GaussianPT":
        return cls(params.sigma, params.enhanced_fraction, params.enhanced_width)

    def __repr__(self) -> str:
        return (
            f"GaussianPT(sigma={self.sigma}, enhanced_fraction={self.enhanced_fraction}, "
            f"enhanced_width={self.enhanced_width})"
        )

    def sample_pt(
        self, n: int, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        u = torch.rand(n, dtype=torch.float64, generator=generator)
        width = torch.where(u < self.enhanced_fraction, self.enhanced_width, 1.0) * self.sigma_q
        g = torch.randn(2, n, dtype=torch.float64, generator=generator)
        return width * g[0], width * g[1]

    def log_prob_pt(self, px: torch.Tensor, py: torch.Tensor) -> torch.Tensor:
        r2 = px * px + py * py
        out = []
        for weight, width in ((1.0 - self.enhanced_fraction, 1.0), (self.enhanced_fraction, self.enhanced_width)):
            if weight > 0:
                s2 = (width * self.sigma_q) ** 2
                out.append(math.log(weight) - math.log(2.0 * math.pi * s2) - 0.5 * r2 / s2)
        return torch.logsumexp(torch.stack(out), dim=0)
