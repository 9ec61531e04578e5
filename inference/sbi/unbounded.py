"""NPE on an unbounded reparametrisation of the prior box.

A uniform prior on the box ``lo <= theta <= hi`` cuts the posterior at the box faces. A
flow over ``theta`` itself has to learn that sharp edge, and what it misses leaks out of
the box (sbi rejects those samples, so the density inside is renormalised by a guess).
Learning the density of ``u = Phi^-1((theta - lo) / (hi - lo))`` (probit, the default; or
the logit) instead removes the edge:
``u`` is unbounded, a posterior cut at a face becomes a tail of ``u``, and every sample
mapped back lands inside the box. Densities carry the Jacobian,

    log q(theta | x) = log q_u(u(theta) | x) + sum_i log du_i/dtheta_i,   p = (theta - lo) / (hi - lo),
    probit: du/dtheta = 1 / ((hi - lo) phi(u)),   logit: du/dtheta = 1 / ((hi - lo) p (1 - p)),

so the estimator is an ordinary conditional density on the box that sbi's posterior,
MAP and ensemble code use unchanged. For nflows models (``maf``, ``nsf``...) the map is
prepended to the flow's own transform (:class:`BoxToReals`), the z-scoring of the flow
is computed in ``u``; sbi's MDN does the same natively (``z_score_theta=
"transform_to_unconstrained"``). The splines of an NSF are bijections of
``[-tail_bound, tail_bound]`` (z-scored ``u``) with identity tails: whatever base mass lies
beyond ends in the far tails of ``u``, which are the faces of the box, so the unbounded NSF
uses ``tail_bound = 6`` (:class:`~.estimators.EstimatorSettings`). Measured effect:
docs/sbi.md, "Calibration of the estimator".
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from nflows.transforms import CompositeTransform, PointwiseAffineTransform, Transform
from torch import nn
from torch.nn import functional as F

__all__ = ["BoxToReals", "ConditionalAffine", "unbounded_builder"]

#: ``p = (theta - lo) / (hi - lo)`` is clipped to ``[EPS, 1 - EPS]`` before the link, so that
#: points on (or, for sbi's masked evaluations, outside) a face give finite numbers.
EPS = 1e-6
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


class BoxToReals(Transform):
    """nflows transform ``theta (N, d)`` in the box -> ``u = link((theta - lo) / (hi - lo))``, probit or logit.

    ``forward`` returns ``(u, log|det du/dtheta|)``, ``inverse`` ``(theta, log|det dtheta/du|)``.

    >>> t = BoxToReals(torch.tensor([0.0]), torch.tensor([2.0]), link="logit")
    >>> u, logdet = t(torch.tensor([[1.0]]))
    >>> float(u[0, 0]), round(float(logdet[0]), 4)       # midpoint: u = 0, du/dtheta = 1/(2 * 0.25)
    (0.0, 0.6931)
    >>> u, logdet = BoxToReals(torch.tensor([0.0]), torch.tensor([2.0]))(torch.tensor([[1.0]]))
    >>> abs(float(u[0, 0])), round(float(logdet[0]), 4)  # probit: du/dtheta = 1/(2 phi(0))
    (0.0, 0.2258)
    """

    def __init__(self, lower: torch.Tensor, upper: torch.Tensor, link: str = "probit") -> None:
        super().__init__()
        self.link = link
        lower = torch.as_tensor(lower, dtype=torch.float32).reshape(-1)
        upper = torch.as_tensor(upper, dtype=torch.float32).reshape(-1)
        if lower.shape != upper.shape or not torch.all(upper > lower):
            raise ValueError(f"BoxToReals needs lower < upper of one shape, got {lower.tolist()} and {upper.tolist()}")
        self.register_buffer("lower", lower)
        self.register_buffer("width", upper - lower)

    def forward(self, inputs: torch.Tensor, context: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        p = ((inputs - self.lower) / self.width).clamp(EPS, 1.0 - EPS)
        if self.link == "probit":
            q = ((self.lower + self.width - inputs) / self.width).clamp(EPS, 1.0 - EPS)
            u = torch.where(p < 0.5, torch.special.ndtri(p), -torch.special.ndtri(q))
            logdet = (0.5 * u**2 + _HALF_LOG_2PI - torch.log(self.width)).sum(dim=-1)
            return u, logdet
        u = torch.log(p) - torch.log1p(-p)
        logdet = -(torch.log(self.width) + torch.log(p) + torch.log1p(-p)).sum(dim=-1)
        return u, logdet

    def inverse(self, inputs: torch.Tensor, context: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        if self.link == "probit":
            theta = self.lower + self.width * torch.special.ndtr(inputs)
            logdet = (torch.log(self.width) - 0.5 * inputs**2 - _HALF_LOG_2PI).sum(dim=-1)
            return theta, logdet
        theta = self.lower + self.width * torch.sigmoid(inputs)
        logdet = (torch.log(self.width) + F.logsigmoid(inputs) + F.logsigmoid(-inputs)).sum(dim=-1)
        return theta, logdet


class ConditionalAffine(Transform):
    """nflows transform ``v (N, d) -> (v - shift(c)) * exp(-log_scale(c))``, per dimension, ``c`` the context.

    ``shift`` and ``log_scale`` come from a small network of the (embedded) condition,
    initialised to the identity. Placed before the spline layers of an NSF, it moves and
    scales each posterior to about unit width, so that the splines (bijections of
    ``[-tail_bound, tail_bound]`` with identity tails) work on the posterior's own scale and
    the density beyond ``tail_bound`` of their input is a Gaussian tail of the posterior's
    width. Without it the splines must squeeze a base N(0, 1) into a posterior ~5x narrower
    than the training spread of ``u``. Opt-in (``EstimatorSettings(conditional_affine=True)``):
    measured lighter tails on the toy, not better calibration (docs/sbi.md, "Calibration of
    the estimator").
    """

    def __init__(self, features: int, context_features: int, hidden_features: int = 50) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(context_features, hidden_features), nn.ReLU(),
                                 nn.Linear(hidden_features, hidden_features), nn.ReLU(),
                                 nn.Linear(hidden_features, 2 * features))
        nn.init.zeros_(self.net[-1].weight)
        nn.init.zeros_(self.net[-1].bias)

    def _params(self, context: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        if context is None:
            raise ValueError("ConditionalAffine needs the condition (context) of the flow")
        shift, raw = self.net(context).chunk(2, dim=-1)
        return shift, 8.0 * torch.tanh(raw / 8.0)          # |log scale| < 8: a bounded, invertible map

    def forward(self, inputs: torch.Tensor, context: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        shift, log_scale = self._params(context)
        return (inputs - shift) * torch.exp(-log_scale), -log_scale.sum(dim=-1)

    def inverse(self, inputs: torch.Tensor, context: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        shift, log_scale = self._params(context)
        return inputs * torch.exp(log_scale) + shift, log_scale.sum(dim=-1)


def unbounded_builder(build: Callable, lower: torch.Tensor, upper: torch.Tensor, link: str = "probit", *,
                      affine: bool = False, hidden_features: int = 50) -> Callable:
    """Wrap an sbi nflows builder ``build(batch_theta, batch_x)`` so its flow lives in ``u``.

    The inner flow is built (and z-scored) on the training ``u``; :class:`BoxToReals` is
    prepended to its transform, so the returned estimator takes and returns ``theta``.
    With ``affine``, a :class:`ConditionalAffine` follows the z-scoring of ``u``.
    """
    box = BoxToReals(lower, upper, link)

    def build_fn(batch_theta: torch.Tensor, batch_x: torch.Tensor):
        u, _ = box(batch_theta)
        estimator = build(u, batch_x)
        flow = estimator.net
        parts = [flow._transform]
        if affine:
            inner = list(flow._transform._transforms)
            head = inner[:1] if inner and isinstance(inner[0], PointwiseAffineTransform) else []   # z-scoring
            with torch.no_grad():
                context_features = int(flow._embedding_net(batch_x[:2]).shape[-1])
            parts = [*head, ConditionalAffine(u.shape[-1], context_features, hidden_features), *inner[len(head):]]
        flow._transform = CompositeTransform([box, *parts])
        return estimator

    return build_fn
