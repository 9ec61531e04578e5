"""How often an ideal reweighting fit on one base of N events lands within a tolerance of theta*.

A closure benchmark asks whether a fit lands within ``tolerance x sigma_lim`` of theta* in every
parameter, one draw at a time. Part of the answer is luck that no method can remove: the
pseudo-data fluctuate, and a fit that predicts the histograms from one base run of N events
inherits that run's fluctuation. For the *ideal* such fit -- exact derivatives of the
predictions, i.e. no Monte Carlo noise in the reweighted derivatives -- both enter linearly
(``delta theta = A (delta d - delta m)``, :mod:`.covariance`), and with MC errors of the same
shape as the data's the chi2's weights only change by a common factor, so

    Cov(theta_fit) = (data_var + N_data / N) * C_lim

where ``C_lim`` is the limit covariance of data with the errors of ``N_data`` events
(``covariance.noise_corrected_sandwich``), ``data_var`` the variance of the pseudo-data's values
in those units (1/4 when the values come from 4 N_data events, as in
``benchmarks/bench_tune.py``), and N the base's events at theta*. The probability that such a
fit reaches the precision is a Gaussian box probability, the ceiling for a real reweighting
fit with the same base: noise in its derivatives only widens the spread.

A benchmark that climbs a ladder of base sizes, one independent fit per rung, stops at the
first rung that reaches; the rungs share the pseudo-data, so their outcomes are correlated.
:func:`ideal_ladder_reach` gives the ideal fit's probability of stopping at each rung.

What the ideal fit takes for free is the derivatives. A real fit estimates them from its own
events, and along a direction where only a fraction ``f`` of a run's apparent curvature is
information (``covariance.noise_corrected_sandwich``) it needs more events to know them:
the noise part of the curvature falls as 1/N while the information stays, so
:func:`resolving_events` gives the events at which one point's derivatives resolve a direction
to a chosen fraction. :func:`limit_offsets` says how far a start point lies from theta* along the
directions of ``C_lim``: a start already within the tolerance along a direction the fit cannot
resolve reaches the precision there without information.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import multivariate_normal

from mlhad.exceptions import TuneError

__all__ = ["box_probability", "ideal_reach_probability", "ideal_ladder_reach", "kept_at",
           "resolving_events", "limit_offsets"]


def box_probability(cov: np.ndarray, half_widths: np.ndarray, *, seed: int = 0) -> float:
    """``P(|x_i| <= half_widths_i for every i)`` for ``x ~ N(0, cov)``.

    Genz's quasi-Monte Carlo integration (scipy), absolute accuracy ~1e-5, reproducible for a
    given ``seed``.

    Example:
        >>> round(box_probability(np.eye(2), np.array([1.0, 1.0])), 4)   # 0.6827**2
        0.4661
    """
    cov = np.atleast_2d(np.asarray(cov, dtype=np.float64))
    half = np.asarray(half_widths, dtype=np.float64).reshape(-1)
    if cov.shape != (half.size, half.size):
        raise TuneError(f"covariance of shape {cov.shape} for {half.size} half-widths")
    if not (np.all(np.isfinite(cov)) and np.all(half > 0)):
        raise TuneError("the box probability needs a finite covariance and positive half-widths")
    dist = multivariate_normal(mean=np.zeros(half.size), cov=cov)
    return float(np.clip(dist.cdf(half, lower_limit=-half, rng=np.random.default_rng(seed)), 0.0, 1.0))


def ideal_reach_probability(cov_lim: np.ndarray, tolerance: float, n_data: int, n_base: int, *,
                            data_var: float = 0.25, seed: int = 0) -> float:
    """Probability that the ideal fit on one base of ``n_base`` events lands within ``tolerance x sigma_lim``.

    Args:
        cov_lim: ``(d, d)`` limit covariance of data with the errors of ``n_data`` events;
            ``sigma_lim`` is the square root of its diagonal.
        tolerance: the precision goal in units of ``sigma_lim`` (every parameter).
        n_data: events whose errors the data carry.
        n_base: events of the base run at theta*.
        data_var: variance of the data's values in units of ``C_lim`` (1/4: values of 4 n_data events).

    Returns:
        The probability (module docstring).

    Raises:
        TuneError: a non-positive event count or tolerance, or an undefined limit.

    Example:
        >>> round(ideal_reach_probability(np.eye(1), 1.5, 20_000, 10_000), 3)   # |z| <= 1.5 / 1.5
        0.683
    """
    cov_lim, sigma = _checked_limit("ideal_reach_probability", cov_lim, tolerance, n_data, [n_base], data_var)
    scale = data_var + n_data / n_base
    return box_probability(scale * cov_lim, tolerance * sigma, seed=seed)


def _checked_limit(caller: str, cov_lim: np.ndarray, tolerance: float, n_data: int,
                   n_bases: list[int] | tuple[int, ...], data_var: float) -> tuple[np.ndarray, np.ndarray]:
    """``(C_lim, sigma_lim)`` as arrays, after checking the arguments of ``caller`` (the functions above and below)."""
    if n_data <= 0 or min(n_bases) <= 0 or not tolerance > 0 or not data_var >= 0:
        raise TuneError(f"{caller}: need positive event counts and tolerance, got n_data={n_data}, "
                        f"n_base={', '.join(map(str, n_bases))}, tolerance={tolerance}, data_var={data_var}")
    cov_lim = np.atleast_2d(np.asarray(cov_lim, dtype=np.float64))
    sigma = np.sqrt(np.diag(cov_lim))
    if not np.all(np.isfinite(sigma) & (sigma > 0)):
        raise TuneError(f"{caller}: the limit covariance is undefined (NaN or zero errors): no reach probability")
    return cov_lim, sigma


def ideal_ladder_reach(cov_lim: np.ndarray, tolerance: float, n_data: int, rungs: list[int] | tuple[int, ...], *,
                       data_var: float = 0.25, draws: int = 200_000, seed: int = 0) -> np.ndarray:
    """Probability that the ideal fit, climbing ``rungs`` (base sizes), first reaches the precision at each rung.

    Every rung is a new fit on a new base (independent fluctuation ``N_data / N`` in units of
    ``C_lim``); all rungs fit the same pseudo-data (shared fluctuation ``data_var``). Sampled:
    ``draws`` ladders, reproducible for a given ``seed``.

    Returns:
        ``(len(rungs),)``: P(the first rung within the tolerance is rung k); ``1 - sum`` is the
        probability that no rung reaches.

    Raises:
        TuneError: as :func:`ideal_reach_probability`, or no rungs.
    """
    if not rungs:
        raise TuneError("ideal_ladder_reach needs at least one rung")
    cov_lim, sigma = _checked_limit("ideal_ladder_reach", cov_lim, tolerance, n_data, rungs, data_var)
    half = tolerance * sigma
    root = np.linalg.cholesky(cov_lim + 1e-12 * np.diag(np.diag(cov_lim)))
    rng = np.random.default_rng(seed)
    shared = rng.standard_normal((draws, half.size)) @ root.T * np.sqrt(data_var)
    undecided = np.ones(draws, dtype=bool)
    first = np.zeros(len(rungs))
    for k, n in enumerate(rungs):
        fit = shared + rng.standard_normal((draws, half.size)) @ root.T * np.sqrt(n_data / n)
        hit = undecided & np.all(np.abs(fit) <= half, axis=1)
        first[k] = hit.mean()
        undecided &= ~hit
    return first


def kept_at(kept: np.ndarray, n_events: int, n_other: float) -> np.ndarray:
    """The kept fractions of a run of ``n_other`` events, from a run of ``n_events`` that keeps ``kept``.

    The derivative noise falls as 1/N along fixed directions, so
    ``kept(N) = 1 / (1 + (1/kept - 1) n_events / N)``; :func:`resolving_events` is its inverse.

    Example:
        >>> kept_at(np.array([0.2, 0.9]), 80_000, 320_000).round(3).tolist()
        [0.5, 0.973]
    """
    kept = np.asarray(kept, dtype=np.float64)
    if n_events <= 0 or not n_other > 0 or np.any(kept > 1.0) or not np.all(np.isfinite(kept)):
        raise TuneError(f"kept_at: need positive event counts and finite kept fractions <= 1, got n_events={n_events}, "
                        f"n_other={n_other}, kept={kept.tolist()}")
    with np.errstate(divide="ignore"):
        return 1.0 / (1.0 + (1.0 / kept - 1.0) * n_events / n_other)


def resolving_events(kept: np.ndarray, n_events: int, fraction: float = 0.5) -> np.ndarray:
    """Events at which one point's reweighted derivatives keep ``fraction`` of each direction's curvature.

    A run of ``n_events`` keeps ``kept`` (``covariance.noise_corrected_sandwich``): of the
    apparent curvature ``I + noise`` along each direction, ``I`` is information. The noise falls as
    1/N and its directions do not change, so ``kept(N) = 1 / (1 + (1/kept - 1) n_events / N)``,
    solved here for ``kept(N) = fraction``.

    Args:
        kept: ``(d,)`` kept fractions at ``n_events``.
        n_events: the run's events.
        fraction: the fraction to reach, in (0, 1).

    Returns:
        ``(d,)`` events; ``inf`` where ``kept <= 0`` (no information seen at ``n_events``).

    Raises:
        TuneError: a non-positive event count, a fraction outside (0, 1), or kept fractions above 1.

    Example:
        >>> resolving_events(np.array([0.2, 0.9]), 80_000).round().tolist()   # 80k x 4, 80k / 9
        [320000.0, 8889.0]
    """
    kept = np.asarray(kept, dtype=np.float64)
    if n_events <= 0 or not 0.0 < fraction < 1.0 or np.any(kept > 1.0) or not np.all(np.isfinite(kept)):
        raise TuneError(f"resolving_events: need n_events > 0, fraction in (0, 1) and finite kept fractions <= 1, "
                        f"got n_events={n_events}, fraction={fraction}, kept={kept.tolist()}")
    with np.errstate(divide="ignore"):
        ratio = np.where(kept > 0, (1.0 - kept) / np.where(kept > 0, kept, 1.0), np.inf)
    return n_events * ratio * fraction / (1.0 - fraction)


def limit_offsets(cov_lim: np.ndarray, delta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``delta`` (a point minus theta*) along the eigen-directions of ``C_lim``, in their own standard deviations.

    Returns:
        ``(offsets, directions)``: ``offsets[k]`` along ``directions[:, k]`` (unit vectors in parameter
        units), from the best-constrained direction to the least-constrained one (the valley).

    Raises:
        TuneError: an undefined or non-positive-definite ``C_lim``, or mismatched shapes.

    Example:
        >>> off, _ = limit_offsets(np.diag([4.0, 0.01]), np.array([1.0, 0.3]))
        >>> off.round(2).tolist()                               # 0.3 / 0.1 first, then 1 / 2
        [3.0, 0.5]
    """
    cov_lim = np.atleast_2d(np.asarray(cov_lim, dtype=np.float64))
    delta = np.asarray(delta, dtype=np.float64).reshape(-1)
    if cov_lim.shape != (delta.size, delta.size) or not np.all(np.isfinite(cov_lim)):
        raise TuneError(f"limit_offsets: a finite ({delta.size}, {delta.size}) covariance is needed, got shape "
                        f"{cov_lim.shape}")
    values, vectors = np.linalg.eigh(0.5 * (cov_lim + cov_lim.T))
    if np.any(values <= 0):
        raise TuneError("limit_offsets: the limit covariance is not positive definite")
    vectors = vectors * np.where(vectors[np.argmax(np.abs(vectors), axis=0), np.arange(delta.size)] < 0, -1.0, 1.0)
    return (vectors.T @ delta) / np.sqrt(values), vectors
