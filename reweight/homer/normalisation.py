"""Exact normalisation of learned single-break weights against the simulated z density.

HOMER's single-break weight must be a proper density ratio: for every conditioning c
of a break (what is fixed before z is drawn: the flavour class, mT^2 and, optionally,
the string end),

    E_sim[ w(z | c) | c ] = int p_sim(z | c) w(z | c) dz = 1,

otherwise the product over a history is not an unbiased event weight (arXiv 2410.06342
Sec. 3; arXiv 2509.03592 enforces it with a second network fitted to E[e^g | c]).
Here it holds by construction: a network h(z, c) is turned into

    g(z | c) = h(z, c) - log int p_sim(z' | c) e^{h(z', c)} dz',

and the integral is done by quadrature against the *known* simulated density: Pythia's
Lund function at the base parameters of the sample (:mod:`mlhad.reweight.lund`),
p_sim(z | c) = f(z; a_c, b mT^2, c_c) / N. In t = logit(z) the density
p(t) = f(z) z (1 - z) / N is smooth and decays at both ends, so the trapezoidal rule on
a window covering all but ~1e-11 of it converges exponentially (as in
:func:`mlhad.reweight.lund.log_norm`). The quadrature is tabulated on a grid of log mT^2
per flavour class and linearly interpolated to each break; the tests compare it with the
exact normalisation of the Lund ratio and with Monte Carlo averages over simulated breaks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from mlhad.exceptions import ReweightError
from mlhad.reweight.base import FragmentationBase
from mlhad.reweight.breaks import class_shapes
from mlhad.reweight.lund import effective_a

__all__ = ["NormalisationGrid", "log_sim_density_t"]

_T_FINE = np.linspace(-40.0, 40.0, 16001)  # window search, step 0.005 in logit(z)
_LOG_TAIL = 25.0  # the window keeps t where p(t) > max p * e^-25 (~1e-11)


def log_sim_density_t(t: np.ndarray, a: np.ndarray, big_b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Unnormalised log density of t = logit(z) under the Lund function (any broadcastable shapes).

    log[f(z) z (1 - z)] with f(z) = (1 - z)^a z^-c exp(-B / z) and Pythia's rule that
    a < 0.02 drops the (1 - z) factor.
    """
    log_z = -np.logaddexp(0.0, -t)
    log_1mz = -np.logaddexp(0.0, t)
    a_eff = effective_a(torch.tensor(np.asarray(a, dtype=np.float64))).numpy()
    return (a_eff + 1.0) * log_1mz + (1.0 - c) * log_z - big_b * np.exp(-log_z)


@dataclass(frozen=True)
class NormalisationGrid:
    """Quadrature nodes and weights of the simulated z density at grid nodes (class, log mT^2).

    The nodes of each flavour class are evenly spaced in log mT^2 over the range its
    breaks cover (at least 4 per class), stored flat, class after class.

    Attributes:
        bits: (K, 6) class properties (old_s, new_s, old_qq, new_qq, heavy_c, heavy_b),
            as :func:`mlhad.reweight.breaks.break_classes` returns them.
        first: (K,) index of each class's first node; count: (K,) its number of nodes.
        node_class: (N,) class of each node; log_m2: (N,) its log mT^2 (GeV^2).
        t: (N, Q) quadrature nodes in logit(z).
        log_weight: (N, Q) log of the normalised quadrature weights of p_sim(t | c):
            ``logsumexp(log_weight, -1) == 0``.
    """

    bits: np.ndarray
    first: np.ndarray
    count: np.ndarray
    node_class: np.ndarray
    log_m2: np.ndarray
    t: np.ndarray
    log_weight: np.ndarray

    @property
    def n_classes(self) -> int:
        return int(self.bits.shape[0])

    @property
    def n_nodes(self) -> int:
        return int(self.log_m2.shape[0])

    @classmethod
    def build(cls, base: FragmentationBase, bits: np.ndarray, log_m2_low: np.ndarray, log_m2_high: np.ndarray,
              *, node_spacing: float = 0.2, n_z_nodes: int = 32) -> NormalisationGrid:
        """Tabulate the simulated z density of every class on its log mT^2 range.

        Args:
            base: the simulation's fragmentation parameters (the density is Pythia's at them).
            bits: (K, 6) class table.
            log_m2_low, log_m2_high: (K,) range of log mT^2 to cover per class.
            node_spacing: largest spacing of the nodes in log mT^2.
            n_z_nodes: Q quadrature nodes per grid node.
        """
        bits = np.asarray(bits, dtype=bool)
        lo, hi = np.asarray(log_m2_low, dtype=np.float64), np.asarray(log_m2_high, dtype=np.float64)
        width = np.maximum(hi - lo, 1e-3)
        lo, hi = lo - 1e-6 * width, hi + 1e-6 * width
        count = np.maximum(4, np.ceil((hi - lo) / node_spacing).astype(np.int64) + 1)
        first = np.concatenate([[0], np.cumsum(count)[:-1]])
        node_class = np.repeat(np.arange(len(count)), count)
        position = np.arange(node_class.size) - first[node_class]
        log_m2 = lo[node_class] + (hi - lo)[node_class] * position / (count[node_class] - 1)
        with torch.no_grad():
            b = torch.tensor(base.bLund, dtype=torch.float64)
            a_k, c_k = class_shapes(bits, base, torch.tensor(base.aLund, dtype=torch.float64), b,
                                    torch.tensor(base.rFactC, dtype=torch.float64),
                                    torch.tensor(base.rFactB, dtype=torch.float64))
        a = a_k.numpy()[node_class]
        c = c_k.numpy()[node_class]
        big_b = base.bLund * np.exp(log_m2)
        # window of the density in t, per grid node
        dens = log_sim_density_t(_T_FINE[None, :], a[:, None], big_b[:, None], c[:, None])
        keep = dens > dens.max(axis=-1, keepdims=True) - _LOG_TAIL
        first_t = np.argmax(keep, axis=-1)
        last_t = _T_FINE.size - 1 - np.argmax(keep[:, ::-1], axis=-1)
        if np.any(first_t == 0) or np.any(last_t == _T_FINE.size - 1):
            raise ReweightError(
                "the simulated z density reaches z = sigmoid(+-40): a flavour class with extreme Lund "
                f"parameters (a, c = {a_k.tolist()}, {c_k.tolist()}); HOMER cannot normalise its breaks"
            )
        t_lo, t_hi = _T_FINE[first_t - 1], _T_FINE[last_t + 1]
        q = np.linspace(0.0, 1.0, n_z_nodes)
        t = t_lo[:, None] + (t_hi - t_lo)[:, None] * q
        step = (t_hi - t_lo) / (n_z_nodes - 1)
        log_w = log_sim_density_t(t, a[:, None], big_b[:, None], c[:, None]) + np.log(step)[:, None]
        log_w[:, 0] += np.log(0.5)
        log_w[:, -1] += np.log(0.5)
        log_w = log_w - np.logaddexp.reduce(log_w, axis=-1, keepdims=True)
        return cls(bits=bits, first=first, count=count, node_class=node_class, log_m2=log_m2, t=t,
                   log_weight=log_w)

    def locate(self, class_index: np.ndarray, log_m2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Interpolation stencil of each break in log mT^2 (cubic, Catmull-Rom).

        The log normalisation at a break is ``sum_i weight[:, i] * table[node[:, i]]`` over
        the four grid nodes j-1, j, j+1, j+2 of its class around it: a cubic Hermite
        interpolation with finite-difference slopes (central inside, second-order
        one-sided at the ends of the class's range), exact for quadratics.

        Args:
            class_index: (n,) row of each break's class in :attr:`bits`.
            log_m2: (n,) log mT^2 of each break.

        Returns:
            ``(node, weight)``: (n, 4) flat node indices and (n, 4) weights (summing to 1);
            positions outside a class's range are clamped to its ends.
        """
        k = np.asarray(class_index, dtype=np.int64)
        m = self.count[k]
        base_node = self.first[k]
        lo = self.log_m2[base_node]
        step = (self.log_m2[base_node + m - 1] - lo) / (m - 1)
        pos = (np.asarray(log_m2, dtype=np.float64) - lo) / step
        j = np.clip(np.floor(pos).astype(np.int64), 0, m - 2)
        s = np.clip(pos - j, 0.0, 1.0)
        h00, h10 = 2 * s**3 - 3 * s**2 + 1, s**3 - 2 * s**2 + s
        h01, h11 = -2 * s**3 + 3 * s**2, s**3 - s**2
        # slopes (per node step) as weights on the stencil j-1, j, j+1, j+2: central
        # differences inside, second-order one-sided differences at the ends of the range
        at_start, at_end = (j == 0)[:, None], (j + 1 == m - 1)[:, None]
        slope_j = np.where(at_start, [0.0, -1.5, 2.0, -0.5], [-0.5, 0.0, 0.5, 0.0])
        slope_j1 = np.where(at_end, [0.5, -2.0, 1.5, 0.0], [0.0, -0.5, 0.0, 0.5])
        weight = (h00[:, None] * [0.0, 1.0, 0.0, 0.0] + h01[:, None] * [0.0, 0.0, 1.0, 0.0]
                  + h10[:, None] * slope_j + h11[:, None] * slope_j1)
        stencil = np.clip(j[:, None] + np.arange(-1, 3), 0, m[:, None] - 1)
        node = stencil + base_node[:, None]
        return node, weight

    def integrate(self, h_nodes: torch.Tensor) -> torch.Tensor:
        """log E_sim[e^h | c] at every grid node.

        Args:
            h_nodes: (..., N, Q) values of h at :attr:`t` (leading axes, e.g. the side).

        Returns:
            (..., N) log normalisation.
        """
        log_w = torch.as_tensor(self.log_weight, dtype=h_nodes.dtype, device=h_nodes.device)
        return torch.logsumexp(h_nodes + log_w, dim=-1)
