"""``run_diagnose``: data files + a base sample -> the written diagnosis (what ``mlhad diagnose`` calls)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mlhad.exceptions import InferenceError, InputFileNotFoundError
from mlhad.io import open_sample
from mlhad.inference.sbi import Limits, ReweightingSimulator, load_observation
from mlhad.inference.sbi.coverage import covered_mask, weight_health
from mlhad.inference.sbi.report import prepare_output
from mlhad.reweight import PARAMETERS

from .config import DiagnoseConfig
from .diagnose import Diagnosis, diagnose
from .report import write_diagnosis_report

__all__ = ["run_diagnose", "default_limits", "read_posterior"]

#: Parameters varied when none are given: all that reweighting can vary.
DEFAULT_PARAMS = tuple(PARAMETERS)


def _bisect(ok, steps: int) -> float:
    lo, hi = 0.0, 1.0
    if ok(1.0):
        return 1.0
    for _ in range(steps):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if ok(mid) else (lo, mid)
    return lo


def default_limits(simulator: ReweightingSimulator, *, steps: int = 8) -> Limits:
    """The box the base sample covers, from Pythia's allowed ranges shrunk towards the base point.

    Each parameter is first shrunk alone (the others at the base) to the largest covered
    fraction of its range, then the resulting box is shrunk as a whole until all its
    corners are covered: insensitive parameters (rFactB at LEP) keep wide ranges,
    sensitive ones (sigma) get narrow ones.
    """
    names = tuple(simulator.params)
    base = simulator.base_point
    lo_full = np.array([PARAMETERS[p][0] for p in names])
    # Pythia allows sigma = 0, where the Gaussian pT weight is undefined: start from 1 % of the base value
    lo_full = np.where(np.array(names) == "StringPT:sigma", np.maximum(lo_full, 0.01 * base), lo_full)
    hi_full = np.array([PARAMETERS[p][1] for p in names])
    eps = 1e-9 * (hi_full - lo_full)

    def box(factors: np.ndarray) -> Limits:
        lo = np.clip(base + factors * (lo_full - base), lo_full, hi_full)
        hi = np.clip(base + factors * (hi_full - base), lo_full, hi_full)
        return Limits(names, tuple(np.minimum(lo, base - eps).tolist()), tuple(np.maximum(hi, base + eps).tolist()))

    def covered(points: np.ndarray) -> bool:
        health = weight_health(simulator.weights.weights(points))
        return bool(covered_mask(health, simulator.thresholds, simulator.n_events).all())

    factors = np.zeros(len(names))
    for k in range(len(names)):
        def alone(f: float, k: int = k) -> bool:
            # the two ends of parameter k, the others at the base (not the 2**d corners of a flat box)
            b = box(np.where(np.arange(len(names)) == k, f, 0.0))
            ends = np.repeat(base[None, :], 2, axis=0)
            ends[:, k] = (b.lower[k], b.upper[k])
            return covered(ends)
        factors[k] = _bisect(alone, steps)
    scale = _bisect(lambda g: simulator.check_limits(box(g * factors)).ok, steps)
    if scale <= 0 or not np.any(factors > 0):
        raise InferenceError(f"the base sample {simulator.sample_path} covers no box around its own point; "
                             "is it damaged?")
    result = box(scale * factors)
    # round inwards (two digits below each width's order of magnitude) for a readable, still covered box
    step = 10.0 ** (np.floor(np.log10(result.width)) - 2)
    low = np.maximum(np.ceil(result.lower / step - 1e-9) * step, lo_full)
    high = np.minimum(np.floor(result.upper / step + 1e-9) * step, hi_full)
    return Limits(names, tuple(np.round(low, 12).tolist()), tuple(np.round(high, 12).tolist()))


def read_posterior(path: str | os.PathLike[str], names: Sequence[str]) -> np.ndarray:
    """Posterior samples written by ``mlhad sbi`` (``posterior_samples.npz``), columns in ``names`` order."""
    p = Path(path)
    if p.is_dir():
        p = p / "posterior_samples.npz"
    if not p.is_file():
        raise InputFileNotFoundError(f"posterior samples {p} do not exist; run mlhad sbi --out DIR first")
    with np.load(p) as f:
        samples, params = f["samples"], [str(x) for x in f["params"]]
    missing = [n for n in names if n not in params]
    if missing:
        raise InferenceError(f"the posterior in {p} has parameters {params}, not {missing}; diagnose with the "
                             "same --params as the inference")
    return samples[:, [params.index(n) for n in names]]


def run_diagnose(data: Sequence[str | os.PathLike[str]], base: str | os.PathLike[str], *,
                 limits: Limits | None = None, params: Sequence[str] | None = None,
                 weight_file: str | os.PathLike[str] | None = None, posterior: str | os.PathLike[str] | None = None,
                 config: DiagnoseConfig | None = None, out: str | os.PathLike[str] | None = None,
                 overwrite: bool = False, plots: bool = True, progress: bool = True,
                 workers: int = 1) -> tuple[Diagnosis, Path | None]:
    """Diagnose reference data against a base sample (see :func:`~.diagnose.diagnose`).

    Args:
        data: reference YODA files.
        base: the base sample (reweighted to every point of the box).
        limits: the box; default: the largest box the base covers (:func:`default_limits`).
        params: parameters when ``limits`` is None (default: all reweightable ones).
        weight_file: Professor-style weights selecting histograms/points (default: all).
        posterior: ``mlhad sbi`` output (directory or ``posterior_samples.npz``).
        config: diagnosis settings.
        out: report directory (None: nothing written).
        overwrite, plots, progress, workers: as for ``mlhad compare``.

    Returns:
        ``(diagnosis, index.md or None)``.
    """
    if out is not None:
        prepare_output(out, overwrite)
    sample = open_sample(base)
    obs, _, contributions = load_observation(data, sample, weight_file=weight_file, progress=progress, workers=workers)
    names = list(limits.names) if limits is not None else list(params or DEFAULT_PARAMS)
    simulator = ReweightingSimulator(sample, obs, contributions, names)
    box = default_limits(simulator) if limits is None else limits.reorder(simulator.params)
    simulator.require_covered(box)
    post = read_posterior(posterior, simulator.params) if posterior is not None else None
    result = diagnose(simulator, box, config, posterior=post, progress=progress)
    index = None
    if out is not None:
        meta = {"title": f"{', '.join(obs.analyses)} vs {sample.path.name}", "data": ", ".join(map(str, data)),
                "sample": f"{sample.path} ({sample.n_events} events)",
                "weight_file": None if weight_file is None else str(weight_file)}
        index = write_diagnosis_report(result, out, meta=meta, plots=plots, overwrite=True)
    return result, index
