"""The Lund symmetric fragmentation function as pure, differentiable torch functions.

Pythia's StringZ samples the light-cone fraction z of a hadron of transverse mass mT
from

    f(z) = (1 - z)^a  z^(-c)  exp(-B / z),     B = b mT^2,

with a, c shifted for strange quarks and diquarks and c raised by the Bowler term
r_Q b m_Q^2 for a heavy (c, b) quark at the string end (Pythia manual, "Fragmentation";
Bowler, Z. Phys. C11 (1981) 169). These functions take tensors (any shape, float64
recommended) and are written with torch so that weights built from them can be
differentiated with respect to a, b, c (arXiv 2411.02194).

Normalisation: substituting z = 1 / (1 + e^t),

    N(a, B, c) = int_0^1 f dz = e^(-B) int_R exp[(a+1) t + (c-a-2) log(1+e^t) - B e^t] dt,

an integrand that is analytic in a strip around the real axis and decays at both ends,
so the trapezoidal rule converges exponentially; it is evaluated in log space.
Equivalently N = Gamma(a+1) e^(-B) U(a+1, c, B) with Tricomi's U (used in the tests).
"""

from __future__ import annotations

import math

import torch

__all__ = ["AFROMZERO", "AFROMC", "EXPMAX", "log_f", "log_norm", "log_norm_and_slope", "z_max",
           "log_f_over_max", "effective_a"]

#: Pythia's StringZ constants (FragmentationFlavZpT.cc): below AFROMZERO the (1-z)^a
#: factor is dropped; |a - c| < AFROMC uses the a = c formula for the maximum;
#: exponents are clamped to +-EXPMAX.
AFROMZERO = 0.02
AFROMC = 0.01
EXPMAX = 50.0

# trapezoid grid in t = log(1/z - 1); see log_norm
_T_STEP = 0.2  # error ~ exp(-pi^2 / h): the integrand is analytic for |Im t| < pi/2
_T_MIN = -45.0


def effective_a(a: torch.Tensor) -> torch.Tensor:
    """Pythia drops the (1 - z)^a factor for a < AFROMZERO."""
    return torch.where(a < AFROMZERO, torch.zeros_like(a), a)


def log_f(z: torch.Tensor, a: torch.Tensor, big_b: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    """log of the unnormalised Lund function (with Pythia's small-a rule).

    Args:
        z: light-cone fractions in (0, 1).
        a, big_b, c: shape parameters (B = b mT^2 in GeV^0), broadcastable with z.
    """
    return effective_a(a) * torch.log1p(-z) - big_b / z - c * torch.log(z)


def _t_grid(big_b: torch.Tensor) -> torch.Tensor:
    """Common trapezoid nodes covering every B in the input (|t| ranges set by B)."""
    b_min = float(big_b.detach().min().clamp(min=1e-6))
    t_max = math.log(60.0 / b_min) + 3.0
    n = int(math.ceil((t_max - _T_MIN) / _T_STEP)) + 1
    return torch.linspace(_T_MIN, _T_MIN + (n - 1) * _T_STEP, n, dtype=big_b.dtype, device=big_b.device)


def log_norm_and_slope(a: torch.Tensor, big_b: torch.Tensor, c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """log N(a, B, c) and its slope d log N / d log B = -B <1/z>.

    All inputs broadcast to a common shape S; the quadrature adds a trailing axis, so
    keep S modest (a grid of nodes, not every break).

    Returns:
        ``(log_n, slope)`` of shape S.
    """
    a, big_b, c = torch.broadcast_tensors(effective_a(a), big_b, c)
    t = _t_grid(big_b)
    a_, b_, c_ = a.unsqueeze(-1), big_b.unsqueeze(-1), c.unsqueeze(-1)
    et = torch.exp(t)
    log_integrand = (a_ + 1.0) * t + (c_ - a_ - 2.0) * torch.nn.functional.softplus(t) - b_ * et
    log_n = torch.logsumexp(log_integrand, dim=-1) + math.log(_T_STEP) - big_b
    weights = torch.softmax(log_integrand, dim=-1)
    mean_inv_z = (weights * (1.0 + et)).sum(-1)  # 1/z = 1 + e^t
    return log_n, -big_b * mean_inv_z


def log_norm(a: torch.Tensor, big_b: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    """log of int_0^1 (1-z)^a z^-c exp(-B/z) dz (see module docstring)."""
    return log_norm_and_slope(a, big_b, c)[0]


def z_max(a: torch.Tensor, big_b: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    """Position of the maximum of f, exactly as Pythia's StringZ::zLundMax computes it."""
    a, big_b, c = torch.broadcast_tensors(a, big_b, c)
    a_is_zero = a < AFROMZERO
    a_is_c = (a - c).abs() < AFROMC
    general = 0.5 * (big_b + c - torch.sqrt((big_b - c) ** 2 + 4.0 * a * big_b)) / torch.where(a_is_c, torch.ones_like(c), c - a)
    general = torch.where((general > 0.9999) & (big_b > 100.0), torch.minimum(general, 1.0 - a / big_b), general)
    zero_case = torch.where(c > big_b, big_b / c, torch.ones_like(c))
    c_case = big_b / (big_b + c)
    return torch.where(a_is_zero, zero_case, torch.where(a_is_c, c_case, general))


def log_f_over_max(z: torch.Tensor, a: torch.Tensor, big_b: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    """log[f(z) / f(z_max)] with Pythia's clamp to +-EXPMAX (StringZ::initFunc)."""
    zm = z_max(a, big_b, c)
    expo = big_b * (1.0 / zm - 1.0 / z) + c * torch.log(zm / z)
    expo = expo + torch.where(a < AFROMZERO, torch.zeros_like(a), a) * torch.log((1.0 - z) / (1.0 - zm))
    return expo.clamp(-EXPMAX, EXPMAX)
