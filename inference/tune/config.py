"""``TuneConfig``: everything a tune needs, validated once, stored next to every result.

(By the project's style this belongs in :mod:`mlhad.config`; it lives here until it is
moved there.)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from mlhad.exceptions import TuneError

__all__ = ["TuneConfig", "METHODS", "DEFAULT_EVENTS"]

METHODS = ("gradient", "optuna", "surrogate")
#: Events per generator run when ``n_events`` is not given.
DEFAULT_EVENTS = {"gradient": 100_000, "optuna": 50_000, "surrogate": 50_000}


@dataclass(frozen=True)
class TuneConfig:
    """A tune: data, parameters, method and its settings.

    Attributes:
        data: reference YODA files to fit (``rivet_data/ALEPH_1996_S3486095.yoda``).
        params: free parameters (Pythia names or aliases).
        out: output directory (results; generator runs under ``out/runs``).
        method: ``gradient`` (iterated reweighting), ``optuna`` (black box) or
            ``surrogate`` (Professor-style polynomials).
        limits: Professor limits file (ranges and fixed parameters), optional.
        weights: Professor weight file (histograms/bins and weights), optional.
        check: reference YODA files evaluated at start and tune but not fitted.
        base: existing base sample for the gradient method (default: generate one).
        start: starting values ``{name: value}`` (default: the base's, else Monash).
        n_events: events per generator run (default :data:`DEFAULT_EVENTS`).
        seed: master seed (every run's seed derives from it).
        min_n_eff, max_regenerations, polish_n_eff: gradient-method trust region, regeneration cap,
            final-base threshold (see :class:`~mlhad.inference.tune.gradient.GradientSettings`).
        walk_events: gradient method: events of the bases generated while the fit walks
            towards the minimum (default: ``n_events``); the result comes from ``n_events`` bases.
        ratio_test: gradient method: ``"direct"`` or ``"paired"`` test of a new base against the
            one that proposed it (default: ``GradientSettings``' ``"direct"``).
        gain_noise_sigma, grow_events: gradient method: stop (or, with ``grow_events``, double the
            bases up to that many events) when a base's gain is within this many standard deviations
            of its own MC noise (default 0 and None: off; see ``GradientSettings`` and docs/tune.md,
            "Three stopping rules").
        refine_bases, refine_events, refine_rounds: gradient method: after the walk, move the best
            fit to the mean of ``refine_bases`` independent bases' minima (``refine_events`` events
            each, default the events per run), ``refine_rounds`` times, and take its error from the
            data's sandwich plus those minima's scatter (:mod:`mlhad.inference.tune.refine`; default
            None: off).
        order, n_runs: surrogate polynomial order and anchor runs (default 2x coefficients).
        n_trials, sampler: optuna trials and sampler.
        filter_zero_errors: drop data points with zero error (as Professor ``--filter``).
        preset, settings: generator preset and extra Pythia settings for every run.
        workers: processes for generation and analysis; threads: torch threads.
        validate: gradient method: one more run directly at the best fit, its chi2 reported
            next to the reweighted prediction's (the other methods validate by construction:
            optuna's best trial is a run, the surrogate always validates).
        plots, scans: draw plots / compute the 1D chi2 scans.
        overwrite: replace results in a non-empty ``out``.
        progress: progress bars.
    """

    data: tuple[str, ...]
    params: tuple[str, ...]
    out: str
    method: str = "gradient"
    limits: str | None = None
    weights: str | None = None
    check: tuple[str, ...] = ()
    base: str | None = None
    start: dict[str, float] = field(default_factory=dict)
    n_events: int | None = None
    seed: int = 1
    min_n_eff: float = 0.5
    max_regenerations: int = 6
    polish_n_eff: float = 0.8
    walk_events: int | None = None
    ratio_test: str | None = None
    gain_noise_sigma: float = 0.0
    grow_events: int | None = None
    refine_bases: int | None = None
    refine_events: int | None = None
    refine_rounds: int = 2
    order: int = 3
    n_runs: int | None = None
    n_trials: int = 60
    sampler: str = "tpe"
    filter_zero_errors: bool = True
    preset: str = "lep1"
    settings: tuple[str, ...] = ()
    workers: int = 2
    threads: int = 1
    validate: bool = False
    plots: bool = True
    scans: bool = True
    overwrite: bool = False
    progress: bool = True

    def __post_init__(self) -> None:
        for name in ("data", "params", "check", "settings"):
            value = getattr(self, name)
            object.__setattr__(self, name, (value,) if isinstance(value, str) else tuple(value))
        if not self.data:
            raise TuneError("no data to fit: give at least one reference YODA file (--data FILE.yoda)")
        if not self.params:
            raise TuneError("no parameters to tune: give e.g. --params StringZ:aLund,StringZ:bLund,StringPT:sigma")
        if self.method not in METHODS:
            raise TuneError(f"unknown method {self.method!r}; choose one of {', '.join(METHODS)}")
        if self.n_events is not None and (isinstance(self.n_events, bool) or not isinstance(self.n_events, int)
                                          or self.n_events <= 0):
            raise TuneError(f"n_events must be a positive integer, got {self.n_events!r}")
        if self.walk_events is not None:
            if self.method != "gradient":
                raise TuneError(f"--walk-events is used by the gradient method only; --method {self.method} has no "
                                "walk of base runs")
            if isinstance(self.walk_events, bool) or not isinstance(self.walk_events, int) or self.walk_events <= 0:
                raise TuneError(f"walk_events must be a positive integer, got {self.walk_events!r}")
            if self.walk_events > self.events_per_run:
                raise TuneError(f"walk_events = {self.walk_events} exceeds the events per run ({self.events_per_run}); "
                                "the walk's bases are meant to be smaller than the final ones: lower --walk-events "
                                "or raise --events")
        if self.ratio_test is not None:
            if self.method != "gradient":
                raise TuneError(f"--ratio-test is used by the gradient method only; --method {self.method} generates "
                                "no base runs to test")
            if self.ratio_test not in ("direct", "paired"):
                raise TuneError(f"ratio_test must be 'direct' or 'paired', got {self.ratio_test!r}")
        if (self.gain_noise_sigma or self.grow_events is not None) and self.method != "gradient":
            raise TuneError(f"--gain-noise-sigma and --grow-events are used by the gradient method only; --method "
                            f"{self.method} has no base runs whose gain could be within their noise")
        if self.grow_events is not None and not self.gain_noise_sigma:
            raise TuneError("--grow-events needs --gain-noise-sigma Z (e.g. 2): the bases grow when a base's gain is "
                            "within Z standard deviations of its own MC noise")
        if self.refine_bases is not None or self.refine_events is not None:
            if self.method != "gradient":
                raise TuneError(f"--refine-bases and --refine-events are used by the gradient method only; --method "
                                f"{self.method} has no reweighted minima to average")
            if self.refine_bases is None:
                raise TuneError("--refine-events needs --refine-bases K (e.g. 8): the number of independent bases")
            if not (isinstance(self.refine_bases, int) and self.refine_bases >= 2):
                raise TuneError(f"--refine-bases must be an integer >= 2 (the MC error comes from the scatter of their "
                                f"minima; 8 or more for errors whose tails matter), got {self.refine_bases!r}")
            if self.refine_events is not None and not (isinstance(self.refine_events, int) and self.refine_events > 0):
                raise TuneError(f"--refine-events must be a positive integer, got {self.refine_events!r}")
            if not (isinstance(self.refine_rounds, int) and self.refine_rounds >= 1):
                raise TuneError(f"--refine-rounds must be an integer >= 1, got {self.refine_rounds!r}")
        if not (isinstance(self.seed, int) and 1 <= self.seed <= 800_000_000):
            raise TuneError(f"seed must be an integer in [1, 8e8] (room for the runs' derived seeds), got {self.seed!r}")
        if self.base is not None and self.method != "gradient":
            raise TuneError(f"--base is used by the gradient method only; --method {self.method} runs Pythia at "
                            "every point it needs")
        if not (isinstance(self.workers, int) and self.workers >= 1):
            raise TuneError(f"workers must be a positive integer, got {self.workers!r}")
        if not (isinstance(self.threads, int) and self.threads >= 1):
            raise TuneError(f"threads must be a positive integer, got {self.threads!r}")
        object.__setattr__(self, "start", {str(k): float(v) for k, v in dict(self.start).items()})

    @property
    def events_per_run(self) -> int:
        return self.n_events if self.n_events is not None else DEFAULT_EVENTS[self.method]

    def replace(self, **changes: Any) -> TuneConfig:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        for name in ("data", "params", "check", "settings"):
            out[name] = list(out[name])
        return out
