"""Sampling and evaluating a trained posterior for one or many observations (numpy in, numpy out).

NPE posteriors are sampled directly (samples outside the prior box are rejected, sbi's
leakage correction); NLE and NRE posteriors by vectorised slice sampling. The torch
random state is forked and seeded for every call (:func:`.estimators.seeded`).
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator

import numpy as np
import torch

from mlhad.exceptions import InferenceError

from .estimators import TrainedEstimator, seeded
from .threads import limited_threads

__all__ = ["sample_posterior", "sample_posteriors", "log_densities", "posterior_map", "prior_acceptance"]


@contextlib.contextmanager
def _sampling(seed: int, threads: int | None) -> Iterator[None]:
    """Seeded, thread-limited sampling; quiet about one deprecation inside nflows.

    Sampling an NSF (the NPE default) inverts nflows' ``LULinear`` transform with
    ``torch.triangular_solve``, which torch deprecates with a UserWarning (an error
    under the tests' ``filterwarnings = error``); it is the library's call, not ours.
    """
    with seeded(seed), limited_threads(threads), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"torch\.triangular_solve is deprecated", category=UserWarning)
        yield


def _as_x(summary: np.ndarray) -> torch.Tensor:
    x = torch.as_tensor(np.atleast_2d(np.asarray(summary, dtype=np.float64)), dtype=torch.float32)
    if not torch.isfinite(x).all():
        raise InferenceError("the observation's summary is not finite; was it predicted outside the coverage?")
    return x


def sample_posterior(estimator: TrainedEstimator, summary: np.ndarray, n: int, *, seed: int = 0,
                     threads: int | None = 1) -> np.ndarray:
    """``(n, d)`` samples of the posterior of one observation's summary ``(dim,)``."""
    x = _as_x(summary)
    if x.shape[0] != 1:
        raise InferenceError(f"sample_posterior takes one summary, got {x.shape[0]}; use sample_posteriors")
    with _sampling(seed, threads):
        s = estimator.posterior.sample((int(n),), x=x[0], show_progress_bars=False)
    return s.detach().cpu().numpy().astype(np.float64)


def prior_acceptance(estimator: TrainedEstimator, summary: np.ndarray, lower: np.ndarray, upper: np.ndarray, *,
                     n: int = 2000, seed: int = 0) -> float:
    """Fraction of the NPE's mass for one summary that lies inside the prior box.

    A posterior network only learns where the training simulations were; a summary
    outside their range (data no point in the box describes) makes it extrapolate, most
    of its mass leaves the box and rejection sampling stalls. Checked before sampling.
    An unbounded NPE (:mod:`.unbounded`) cannot leave the box and its sampling cannot stall
    (1.0): for such data its posterior piles up on the faces, which :func:`.infer.infer`
    reports through the chi2 fit's warning that it ends on the limits, and the predictive
    check through its p-value. Non-amortised posteriors (MCMC) never leave the box: 1.0.
    """
    if not estimator.amortised or estimator.settings.resolved_unbounded:
        return 1.0
    x = _as_x(summary)
    members = getattr(estimator.posterior, "posteriors", [estimator.posterior])    # an ensemble: every member
    per = max(1, n // len(members))
    with _sampling(seed, 1), torch.no_grad():
        s = torch.cat([m.posterior_estimator.sample(torch.Size([per]), condition=x).reshape(per, -1) for m in members])
    s = s.detach().cpu().numpy()
    return float(np.mean(np.all((s >= lower) & (s <= upper), axis=1)))


def sample_posteriors(estimator: TrainedEstimator, summaries: np.ndarray, n: int, *, seed: int = 0,
                      threads: int | None = 1) -> np.ndarray:
    """``(n, N, d)`` samples for each of ``N`` summaries ``(N, dim)`` (one batched call)."""
    x = _as_x(summaries)
    # sbi caps (and warns) when batch * observations exceeds 1e5: ask for what it would allow
    extra = {"max_sampling_batch_size": max(1, 100_000 // x.shape[0])} if estimator.amortised else {}
    with _sampling(seed, threads):
        s = estimator.posterior.sample_batched((int(n),), x=x, show_progress_bars=False, **extra)
    return s.detach().cpu().numpy().astype(np.float64)


def log_densities(estimator: TrainedEstimator, theta: np.ndarray, summaries: np.ndarray, *,
                  threads: int | None = 1) -> np.ndarray:
    """``(L, N)`` unnormalised log posterior of ``theta (L, N, d)`` given summaries ``(N, dim)``.

    Normalisation constants differ between observations but not within one, which is all
    that ranking samples against a true value (HPD coverage) needs.
    """
    x = _as_x(summaries)
    th = torch.as_tensor(np.asarray(theta, dtype=np.float64), dtype=torch.float32)
    with torch.no_grad(), limited_threads(threads):
        if estimator.amortised:
            out = estimator.posterior.log_prob_batched(th, x=x, norm_posterior=False)
        else:
            out = torch.stack([estimator.posterior.potential(th[:, i, :], x=x[i]) for i in range(x.shape[0])], dim=1)
    return out.detach().cpu().numpy().astype(np.float64)


def posterior_map(estimator: TrainedEstimator, summary: np.ndarray, *, seed: int = 0,
                  threads: int | None = 1) -> np.ndarray:
    """``(d,)`` maximum a posteriori point (sbi's gradient ascent from the best of many samples)."""
    x = _as_x(summary)
    with _sampling(seed, threads):
        estimator.posterior.set_default_x(x[0])
        # draw the starting points ourselves: sbi's own draw would show a progress bar
        init = estimator.posterior.sample((500,), x=x[0], show_progress_bars=False)
        m = estimator.posterior.map(num_iter=300, num_to_optimize=50, init_method=init, show_progress_bars=False,
                                    force_update=True)
    return m.detach().cpu().numpy().astype(np.float64).reshape(-1)
