"""Exact event weights of one sample for many parameter points at once.

:class:`~mlhad.reweight.LundReweighter` evaluates ``log w(theta)`` for one point per
call. Simulation-based inference needs thousands of points, so this module rewrites the
same formula as matrix products that evaluate ``K`` points in one pass:

    log w_z(theta) = S1 a_eff(theta) - S2 c(theta) - b Q - [H H'] [y(theta); y'(theta)] - (same at theta_0)

``S1``, ``S2`` (``(n_events, C)``) and ``Q`` are the per-event, per-flavour-class sums
already stored in :class:`~mlhad.reweight.HistoryTables`. The normalisation part, a sum
over breaks of cubic Hermite interpolants of ``log N`` on a grid of ``mT2`` nodes, is
linear in the node values ``y`` and slopes ``y'``; the tables hold the sparse
``(n_events, 2 C M)`` matrix ``[H H']`` of each event's Hermite basis sums, so ``K``
points cost one sparse product with a ``(2 C M, K)`` matrix. The node values come from the same
:func:`mlhad.reweight.lund.log_norm_and_slope` and the class shapes from the same
:func:`mlhad.reweight.breaks.class_shapes` as the single-point reweighter, so both
agree to rounding (tested to 1e-10 in log w).

The pT part is exact per event: ``N log r - (r - 1) S / 2`` with ``r = (sigma_0 / sigma)^2``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from mlhad.exceptions import InferenceError
from mlhad.reweight import LundReweighter
from mlhad.reweight.breaks import class_shapes
from mlhad.reweight.lund import effective_a, log_norm_and_slope

__all__ = ["BatchedWeights"]

_ORDER = ("StringZ:aLund", "StringZ:bLund", "StringZ:rFactC", "StringZ:rFactB", "StringPT:sigma")
_Z_PARAMS = frozenset(_ORDER[:4])


class BatchedWeights:
    """``log w`` of every event of a sample for a batch of parameter points.

    Args:
        reweighter: the single-point reweighter of the sample (its tables, base point
            and varied parameters are reused; nothing is copied but the sparse maps).

    Example:
        >>> bw = BatchedWeights(reweighter_from_sample(sample, ["aLund", "bLund"]))   # doctest: +SKIP
        >>> bw.log_weights(np.array([[0.6, 1.0], [0.7, 0.9]])).shape                  # doctest: +SKIP
        (2, n_events)
    """

    def __init__(self, reweighter: LundReweighter) -> None:
        self.reweighter = reweighter
        self.params: list[str] = list(reweighter.params)
        t = reweighter.tables
        self.n_events = int(t.n_events)
        # (n_events, 2 C M) per-event sums of the Hermite basis values: node values, then slopes
        self._hermite = t.hermite.csr
        self._s1 = t.sum_log1mz.numpy()
        self._s2 = t.sum_logz.numpy()
        self._q = t.sum_m2_over_z.numpy()
        self._pt_n = None if t.pt_n is None else t.pt_n.numpy()
        self._pt_s = None if t.pt_s is None else t.pt_s.numpy()
        self._base = reweighter.base.point()
        self._varies_z = any(p in _Z_PARAMS for p in self.params)
        self._base_z = self._log_density(np.array([[self._base[p] for p in self.params]]))[:, 0] if self._varies_z else None

    # -- helpers ----------------------------------------------------------------------------
    def _full_points(self, theta: np.ndarray) -> dict[str, np.ndarray]:
        """``{name: (K,) values}`` with the base value for parameters that do not vary."""
        out = {name: np.full(theta.shape[0], value) for name, value in self._base.items()}
        for i, name in enumerate(self.params):
            out[name] = theta[:, i]
        return out

    def _log_density(self, theta: np.ndarray) -> np.ndarray:
        """``(n_events, K)`` sum over breaks of log f/N at each point (no base subtracted)."""
        p = self._full_points(theta)
        t = self.reweighter.tables
        k = theta.shape[0]
        as_t = {name: torch.from_numpy(np.ascontiguousarray(v, dtype=np.float64))[:, None] for name, v in p.items()}
        with torch.no_grad():
            a, c = class_shapes(t.classes, self.reweighter.base, as_t["StringZ:aLund"], as_t["StringZ:bLund"],
                                as_t["StringZ:rFactC"], as_t["StringZ:rFactB"])          # (K, C) each
            a_eff = effective_a(a)
            nodes = np.empty((2 * t.node_m2.numel(), k))
            for j in range(k):  # one (C, M) quadrature per point keeps memory at C * M * n_t
                y, m = log_norm_and_slope(a[j][:, None], as_t["StringZ:bLund"][j] * t.node_m2, c[j][:, None])
                nodes[:, j] = np.concatenate([y.reshape(-1).numpy(), m.reshape(-1).numpy()])
        log_f = self._s1 @ a_eff.numpy().T - self._q[:, None] * p["StringZ:bLund"][None, :] - self._s2 @ c.numpy().T
        return log_f - self._hermite @ nodes

    def check_theta(self, theta: np.ndarray | torch.Tensor | Sequence[Sequence[float]]) -> np.ndarray:
        """``(K, d)`` float64 array of points in the order of :attr:`params`.

        Raises:
            InferenceError: wrong shape, non-finite values or a non-positive sigma.
        """
        arr = theta.detach().cpu().numpy() if isinstance(theta, torch.Tensor) else np.asarray(theta)
        arr = np.asarray(arr, dtype=np.float64)
        if arr.ndim == 1:
            arr = arr[None, :]
        if arr.ndim != 2 or arr.shape[1] != len(self.params):
            raise InferenceError(f"theta must have shape (K, {len(self.params)}) for {self.params}, got {arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise InferenceError(f"theta holds non-finite values: {arr[~np.all(np.isfinite(arr), axis=1)][:3]}")
        if "StringPT:sigma" in self.params:
            s = arr[:, self.params.index("StringPT:sigma")]
            if np.any(s <= 0):
                raise InferenceError(f"StringPT:sigma must be positive to reweight to, got {s[s <= 0][:3]}")
        return arr

    # -- public -------------------------------------------------------------------------------
    def log_weights(self, theta: np.ndarray | torch.Tensor) -> np.ndarray:
        """``(K, n_events)`` log-weights for ``K`` points (rows of ``theta``, order :attr:`params`)."""
        th = self.check_theta(theta)
        p = self._full_points(th)
        out = np.zeros((self.n_events, th.shape[0]))
        if self._varies_z:
            out += self._log_density(th) - self._base_z[:, None]
        if "StringPT:sigma" in self.params:
            r = (self._base["StringPT:sigma"] / p["StringPT:sigma"]) ** 2
            out += self._pt_n[:, None] * np.log(r)[None, :] - 0.5 * self._pt_s[:, None] * (r - 1.0)[None, :]
        return np.ascontiguousarray(out.T)

    def weights(self, theta: np.ndarray | torch.Tensor) -> np.ndarray:
        """``(K, n_events)`` event weights ``exp(log w)``."""
        return np.exp(self.log_weights(theta))
