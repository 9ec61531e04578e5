"""The gradient method: quasi-Newton minimisation of a reweighted chi2, with iterated regeneration.

Algorithm (one *outer iteration* per base run):

1. Predict every fitted histogram from the current base run (generated at theta_k) by
   exact reweighting: chi2_k(theta) is smooth and differentiable (:mod:`.reweighted`).
2. Minimise chi2_k with SLSQP (a quasi-Newton method with constraints; gradients from
   torch) inside the limits **and** inside the trust region where the run still has
   ``n_eff/N >= min_n_eff`` (the constraint ``log n_eff(theta) >= log min_n_eff``).
3. Decide. The base is at theta_k; its minimum theta_min improves the chi2 by
   ``gain = chi2_k(theta_k) - chi2_k(theta_min)``. If ``gain < converge_delta_chi2 x
   max(1, chi2/ndf)`` (default: the 68% quantile of a chi2 with d degrees of freedom,
   3.5 for d = 3; scaled like the PDG scale factor when the model misses the data, because
   the MC noise of a chi2 difference grows with the residuals it multiplies), the base
   point is statistically as good as the minimum it sees: converged. Otherwise
   generate a new base run at theta_min (if the minimum sits on the trust-region
   boundary, the true minimum is further away: *iterated reweighting* reaches
   parameters far from the start) and go back to 1. *Trust-region ratio test*: a new
   base whose own chi2 (a direct prediction, no reweighting) is worse than the chi2 of the
   base that proposed it by more than ``reject_sigma`` standard deviations of the two
   runs' MC noise (:func:`.covariance.chi2_mc_variance`) is rejected, as in a
   trust-region method whose predicted reduction was not realised: the fit goes back to
   the proposing base and halves the rejected step's 1 - n_eff/N (at most the region's bound:
   0.5 -> 0.75 -> 0.875 for steps to the boundary; a step to an interior minimum at n_eff/N =
   0.98 shrinks the region to 0.99, so that the same point is not proposed and redrawn again);
   once it reaches ``polish_n_eff`` the generator has confirmed no gain beyond that base,
   and the fit converges there (at its minimum inside that small region). On small bases
   the reweighted chi2 far from the base can show minima that are noise (seen on
   20k-event ALEPH fits walking along the aLund-bLund valley to the limits: a promised
   chi2 of 350 came out at 500). The default ``reject_sigma = 0`` compares the two direct
   chi2 as if exact, although two independent runs' chi2 differ by about 16 units at the
   same point (116 points, 20k data, 40k MC events): that keeps whichever run fluctuated
   low at its own point, a selection on noise, but it also brakes a walk driven by the
   noise of the reweighted derivatives, which ``reject_sigma = 2`` let run to a parameter
   limit in a far Pythia closure (docs/tune.md). Once converged, if the minimum is seen
   with ``n_eff/N < polish_n_eff``, one more base is generated there and the final
   numbers are taken from it (its weights at the minimum are close to 1).

   Why a fixed point and not "a minimum inside the trust region": a reweighted
   prediction away from its base carries more MC noise than the base's own errors say
   (the errors are the base's, see :mod:`.reweighted`), so each base's chi2 is slightly
   biased towards its own point -- by an amount that vanishes to first order at the base
   itself, where n_eff/N is maximal. A base whose minimum is its own point is therefore
   unbiased, and that is what the criterion asks for. (Measured on 5k-event Pythia
   closures: stopping at the first interior minimum left sigma 4.6 standard deviations
   from the truth.) Opt-in variants, measured in docs/tune.md ("Three stopping rules"),
   neither the default: ``ratio_test="paired"`` tests a new base on its own events at both
   points; ``gain_noise_sigma > 0`` also converges when a base's gain is within its own MC
   noise, and then moves the estimate only along the directions the base is informed about
   and whose own part of the step is a significant gain; with ``grow_events`` it doubles the
   base there instead while a direction is uninformed.
4. At the minimum, refine with Newton steps using the exact autograd Hessian, and take
   ``cov = 2 H^-1``.

Each regeneration costs ``n_events`` generated events; everything else is reweighting.
With ``walk_events < n_events`` the bases generated while the fit walks towards the
minimum are smaller (``walk_events``); once the walk converges, a base of ``n_events`` is
generated at its minimum and the iteration continues on bases of that size, so the result
always comes from an ``n_events`` base and the walk's cost is a fraction of it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import minimize

from mlhad.exceptions import TuneError

from ..objective import FitTarget
from .covariance import (
    chi2_gain_variance,
    chi2_mc_variance,
    derivative_noise,
    information_frame,
    noise_corrected_sandwich,
    prediction_covariance,
    sandwich_covariance,
)
from .errors import covariance_from_hessian, fisher_limit, scan_1d
from .pooled import pool_runs, poolable
from .result import RunPoint, TuneResult
from .reweighted import ReweightedObjective
from .simulator import SimulationRun, Simulator, run_chi2
from .space import ParameterSpace

__all__ = ["GradientSettings", "InnerFit", "minimise_reweighted", "fit_gradient", "ratio_test", "gain_noise",
           "informed_step", "pooled_minimum", "final_covariance", "direct_chi2_variance"]

FIRST_STEP = 0.05   # the largest first step of the inner minimiser, in unit coordinates (minimise_reweighted)


@dataclass(frozen=True)
class GradientSettings:
    """Settings of the gradient method.

    Attributes:
        n_events: events of each (re)generated base run (of the full-size ones with ``walk_events``).
        min_n_eff: trust region: n_eff/N of the base's weights must stay above this
            (0.3-0.5 is typical; below it the reweighted prediction loses most of its
            statistical power).
        max_regenerations: stop (not converged) after this many new base runs.
        polish_n_eff: once converged, if n_eff/N at the minimum is below this, generate one
            more base there and take the final value, Hessian and scans from it.
        seed: seed of the first generated base; regeneration ``k`` uses ``seed + k``.
        max_iterations: SLSQP iterations per base.
        newton_steps: Newton refinements with the exact Hessian at the minimum.
        scan_points: points per 1D chi2 scan (0: no scans).
        converge_delta_chi2: convergence threshold on the chi2 gain of a base's minimum
            over its own point (None: the 68% quantile of chi2 with d degrees of
            freedom, 3.5 for d = 3).
        mc_errors: ``"corrected"`` (default), ``"base"`` or ``"reweighted"`` MC errors in the
            chi2 (see :mod:`mlhad.inference.tune.reweighted`).
        validate: generate one more run (``n_events``, no histories) directly at the best
            fit and report its chi2 next to the reweighted prediction's
            (``extra["chi2_validation_run"]``): the check that reweighting predicted the
            tune's chi2 correctly.
        pool_bases: opt-in, not recommended for results: once the iteration has stopped,
            take the final minimum, Hessian and errors from all its base runs pooled by
            multiple importance sampling (:mod:`.pooled`) instead of the last base alone.
            In the closure tests it widened the pulls (toy pull std 1.12 -> 1.22-1.26) and
            moved a far Pythia closure by 3 sigma; see docs/tune.md, "Pooling did not help".
        reject_sigma: the trust-region ratio test rejects a new base whose direct chi2 is
            above the proposing base's by more than this many standard deviations of the
            two runs' MC noise (0: any increase rejects, which selects on noise). Only
            with ``ratio_test="direct"``.
        ratio_test: how a new base is tested against the base that proposed it.
            ``"direct"`` (default): the two bases' direct chi2 at their own points, as
            above: two independent runs, whose chi2 differ by their MC noise (about 16
            units for 116 points, 20k data and 40k MC events) even at the same point.
            ``"paired"``: the new base alone compares the two points -- its direct chi2
            at its own point against its reweighted chi2 at the proposing base's point,
            on the same events -- and is rejected if it sees the old point lower. A
            base's overall fluctuation cancels in that difference, so the test does not
            keep whichever run fluctuated low (the selection ``"direct"`` makes); what is
            left is the noise of reweighting back over one step.
        gain_noise_sigma: opt-in (0: off). Also converge when a base's gain is below this
            many standard deviations of that gain's MC noise on the base itself
            (:func:`.covariance.chi2_gain_variance`): along a flat direction a small base's
            reweighted chi2 shows gains that are its own noise, and following them walks the
            fit along the valley. The estimate then stays at the base's point except along the
            eigen-directions that keep at least half of their curvature and whose own part of the
            step gains at least this many standard deviations (:func:`informed_step`).
        grow_events: with ``gain_noise_sigma``: when a base cannot tell its minimum from its
            own point and some direction keeps less than half of its apparent curvature
            (uninformed), generate a base of twice the size at the estimate and go on, up to
            this many events per base (None: stop there, with a warning).
        walk_events: events of the bases generated while the fit walks (None: ``n_events``).
            Smaller than ``n_events``: the first generated base and every regeneration
            until the walk converges (or reaches ``max_regenerations``) have
            ``walk_events``; then a base of ``n_events`` is generated at the walk's minimum
            and the iteration goes on with bases of that size (a regeneration cap of its
            own), so the final value and errors come from an ``n_events`` base. A given
            ``base`` run is used as it is. The first large base is not ratio-tested
            against the small one that proposed it: their chi2 differ by their MC errors
            (a smaller base has larger errors in the denominator, hence a lower chi2).
        symmetric_region: opt-in. The trust region also requires ``n_eff/N >= min_n_eff`` at the
            step's mirror image through the base's point (``2 theta_k - theta``, clipped to the
            limits), so it reaches equally far on both sides of the base along every line
            through it. The plain region is lopsided where the weights grow heavy tails on one
            side only (along the aLund-bLund valley it reaches about 0.27 towards smaller aLund
            and beyond 0.4 towards larger, docs/tune.md), and a walk that picks the lowest of its
            MC fluctuations could drift towards the longer side. Measured on the benchmark, it
            did not stop that drift (docs/tune.md, "A symmetric trust region"), so it is off.
    """

    n_events: int = 100_000
    min_n_eff: float = 0.5
    max_regenerations: int = 6
    polish_n_eff: float = 0.8
    seed: int = 1
    max_iterations: int = 100
    newton_steps: int = 2
    scan_points: int = 13
    converge_delta_chi2: float | None = None
    mc_errors: str = "corrected"
    validate: bool = False
    pool_bases: bool = False
    reject_sigma: float = 0.0
    walk_events: int | None = None
    ratio_test: str = "direct"
    gain_noise_sigma: float = 0.0
    grow_events: int | None = None
    symmetric_region: bool = False

    def __post_init__(self) -> None:
        if not (isinstance(self.n_events, int) and self.n_events > 0):
            raise TuneError(f"n_events must be a positive integer, got {self.n_events!r}")
        if self.walk_events is not None and not (isinstance(self.walk_events, int)
                                                 and 0 < self.walk_events <= self.n_events):
            raise TuneError(f"walk_events must be a positive integer no larger than n_events = {self.n_events}, "
                            f"got {self.walk_events!r} (None: walk with n_events bases)")
        if not 0.0 < self.min_n_eff < 1.0:
            raise TuneError(f"min_n_eff must lie in (0, 1), got {self.min_n_eff!r} (typical: 0.3-0.5)")
        if not 0.0 < self.polish_n_eff <= 1.0:
            raise TuneError(f"polish_n_eff must lie in (0, 1], got {self.polish_n_eff!r}")
        if self.max_regenerations < 0:
            raise TuneError(f"max_regenerations must be >= 0, got {self.max_regenerations!r}")
        if not (np.isfinite(self.reject_sigma) and self.reject_sigma >= 0):
            raise TuneError(f"reject_sigma must be a finite number >= 0, got {self.reject_sigma!r} (default 0)")
        if not (np.isfinite(self.gain_noise_sigma) and self.gain_noise_sigma >= 0):
            raise TuneError(f"gain_noise_sigma must be a finite number >= 0, got {self.gain_noise_sigma!r} (0: off)")
        if self.grow_events is not None:
            if self.gain_noise_sigma <= 0:
                raise TuneError("grow_events needs gain_noise_sigma > 0: the bases grow when a base cannot tell its "
                                "minimum from its own point")
            if not (isinstance(self.grow_events, int) and self.grow_events >= 2 * self.n_events):
                raise TuneError(f"grow_events must be an integer of at least 2 x n_events = {2 * self.n_events}, got "
                                f"{self.grow_events!r}")
        if self.ratio_test not in ("direct", "paired"):
            raise TuneError(f"ratio_test must be 'direct' or 'paired', got {self.ratio_test!r}")
        if self.ratio_test == "paired" and self.reject_sigma != 0:
            raise TuneError(f"reject_sigma = {self.reject_sigma!r} applies to ratio_test='direct' only; the paired test "
                            "rejects a new base that sees the proposing base's point lower (leave reject_sigma at 0)")


@dataclass(frozen=True)
class InnerFit:
    """The minimum of one base's reweighted chi2.

    Attributes:
        theta: ``(d,)`` minimum (parameter units); chi2, n_eff: there.
        on_boundary: the n_eff trust-region constraint is active.
        n_evaluations: chi2 + gradient evaluations.
        message: the optimiser's message.
    """

    theta: np.ndarray
    chi2: float
    n_eff: float
    on_boundary: bool
    n_evaluations: int
    message: str


def minimise_reweighted(objective: ReweightedObjective, x0: np.ndarray, *, min_n_eff: float,
                        max_iterations: int = 100, mirror_about: np.ndarray | None = None) -> InnerFit:
    """Minimise a reweighted chi2 inside the limits and the region ``n_eff/N >= min_n_eff``.

    With ``mirror_about`` (the base's point), the region is made symmetric about it:
    ``n_eff/N >= min_n_eff`` must also hold at the mirror image ``2 mirror_about - theta``
    (clipped to the limits; see ``GradientSettings.symmetric_region``).

    Works in unit coordinates ``u in [0, 1]^d`` (see :class:`ParameterSpace`). If SLSQP
    ends worse than its start, the start is kept. If it ends outside the region (a long
    step into a place where the weights collapse and the noise-corrected chi2 means
    nothing: seen on a pool of Pythia runs, chi2 -2672 at n_eff 0), it is restarted once
    from the best feasible point it evaluated, and that point is returned if the restart
    also ends outside. A normal, feasible end is never replaced by another evaluated
    point: choosing the lowest of many noisy evaluations would select on MC noise.
    """
    space = objective.space
    calls = {"n": 0}
    log_min = float(np.log(min_n_eff))
    floor = min_n_eff * (1.0 - 1e-3)   # SLSQP meets its constraints to a tolerance
    best: dict[str, Any] = {"chi2": np.inf, "u": None}

    u0 = np.clip(space.to_unit(x0), 0.0, 1.0)
    c_start, g_start, n_start, _ = objective.value_and_grad(space.from_unit(u0))
    # SLSQP's first quasi-Newton step is the gradient itself (unit Hessian): with the chi2 in its own units
    # that step crosses the whole box whenever |dchi2/du| is large, and its line search then lands on the
    # trust-region boundary or stops worse than the start, past a nearer minimum. Dividing the chi2 by
    # `scale` makes that first step at most FIRST_STEP in unit coordinates; the tolerance stays in chi2 units.
    scale = max(1.0, float(np.abs(g_start * space.width).max()) / FIRST_STEP)

    u_centre = None if mirror_about is None else space.to_unit(np.asarray(mirror_about, dtype=float))

    def itself(u: np.ndarray) -> tuple[np.ndarray, float]:
        return u, 1.0

    def mirror(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The mirror image through the base's point, clipped to the box, and its slope in u (0 where clipped)."""
        raw = 2.0 * u_centre - u
        return np.clip(raw, 0.0, 1.0), -((raw > 0.0) & (raw < 1.0)).astype(float)

    def n_eff_bound(image) -> dict[str, Any]:
        """SLSQP's constraint log n_eff/N >= log min_n_eff at ``image(u) -> (unit point, its slope in u)``."""
        def value(u: np.ndarray) -> float:
            return float(np.log(objective.value_and_grad(space.from_unit(image(u)[0]))[2]) - log_min)

        def jacobian(u: np.ndarray) -> np.ndarray:
            at, slope = image(u)
            return objective.value_and_grad(space.from_unit(at))[3] * space.width * slope

        return {"type": "ineq", "fun": value, "jac": jacobian}

    constraints = [n_eff_bound(itself)] + ([n_eff_bound(mirror)] if u_centre is not None else [])

    def n_eff_of_mirror(u: np.ndarray) -> float:
        """n_eff/N at the mirror image of ``u`` (inf without ``mirror_about``: no second bound)."""
        return np.inf if u_centre is None else objective.value_and_grad(space.from_unit(mirror(u)[0]))[2]

    def feasible(u: np.ndarray, n_eff: float) -> bool:
        """Inside the region (to SLSQP's tolerance): at ``u`` (``n_eff`` there) and at its mirror image."""
        return n_eff >= floor and n_eff_of_mirror(u) >= floor

    def fun(u: np.ndarray) -> tuple[float, np.ndarray]:
        calls["n"] += 1
        c, g, n_eff, _ = objective.value_and_grad(space.from_unit(u))
        if c < best["chi2"] and feasible(u, n_eff):
            best.update(chi2=c, u=np.clip(u, 0.0, 1.0).copy())
        return (c - c_start) / scale, g * space.width / scale

    def run_slsqp(start: np.ndarray) -> Any:
        return minimize(fun, start, jac=True, method="SLSQP", bounds=[(0.0, 1.0)] * space.dim,
                        constraints=constraints, options={"maxiter": max_iterations, "ftol": 1e-7 / scale})

    res = run_slsqp(u0)
    message = str(res.message)
    u = np.clip(res.x, 0.0, 1.0)
    c, _, n_eff, _ = objective.value_and_grad(space.from_unit(u))
    if not feasible(u, n_eff) and best["u"] is not None:
        res = run_slsqp(best["u"])
        message = f"ended outside the n_eff region, restarted from the best feasible point: {res.message}"
        u = np.clip(res.x, 0.0, 1.0)
        c, _, n_eff, _ = objective.value_and_grad(space.from_unit(u))
        if not feasible(u, n_eff):
            u = best["u"]
            c, _, n_eff, _ = objective.value_and_grad(space.from_unit(u))
    # keep the start if SLSQP ends worse (it can stop after a bad step)
    if n_start >= min_n_eff and c_start < c:
        u, c, n_eff = u0, c_start, n_start
    theta = space.from_unit(u)
    on_boundary = bool(min(n_eff, n_eff_of_mirror(u)) <= min_n_eff * 1.02)
    return InnerFit(theta=theta, chi2=float(c), n_eff=float(n_eff), on_boundary=on_boundary,
                    n_evaluations=calls["n"], message=message)


def newton_refine(objective: ReweightedObjective, theta: np.ndarray, *, steps: int, min_n_eff: float
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Newton steps with the exact Hessian, accepted only if they lower the chi2 and stay inside.

    Returns ``(theta, hessian at theta)``.
    """
    space = objective.space
    hess = objective.hessian(theta)
    for _ in range(steps):
        c, g, _, _ = objective.value_and_grad(theta)
        try:
            step = -np.linalg.solve(hess, g)
        except np.linalg.LinAlgError:
            break
        if not np.all(np.isfinite(step)) or np.any(np.linalg.eigvalsh(hess) <= 0):
            break
        new = theta + step
        if not space.inside(new):
            break
        c_new, _, n_new, _ = objective.value_and_grad(new)
        if not (c_new < c and n_new >= min_n_eff):
            break
        theta = new
        hess = objective.hessian(theta)
        if c - c_new < 1e-6:
            break
    return theta, hess


def _check_fixed(simulator: Simulator, run: SimulationRun, space: ParameterSpace) -> None:
    """Fixed parameters must be reachable from the base run: reweightable, or already set so."""
    for name, value in space.fixed.items():
        try:
            simulator.check_reweightable([name])
            continue
        except TuneError:
            pass
        have = run.point.get(name)
        if have is None and run.path is not None:
            have = simulator.setting_of(run.path, name)
        if have is None or not np.isclose(have, value, rtol=1e-9, atol=0.0):
            raise TuneError(
                f"{name} is fixed at {value:g} (limits file) but the base run {run.label} was generated with "
                f"{name} = {have}; the gradient method cannot reweight {name}: generate the base with "
                f"--set {name}={value:g}, or leave --base out to let the tune generate it"
            )


def fit_gradient(
    simulator: Simulator,
    target: FitTarget,
    space: ParameterSpace,
    settings: GradientSettings,
    *,
    base: SimulationRun | None = None,
    log: Callable[[str], None] = print,
) -> TuneResult:
    """Tune by iterated reweighting (see the module docstring).

    Args:
        simulator: the generator.
        target: the data points.
        space: free parameters (must be reweightable), limits, start, fixed parameters.
        settings: :class:`GradientSettings`.
        base: an existing base run (e.g. a Monash sample); if None, one is generated at
            ``space.start``.
        log: where progress lines go.

    Returns:
        :class:`TuneResult` (``steps``: one record per base run; ``extra["n_eff_history"]``).

    Raises:
        TuneError: non-reweightable free parameters, fixed parameters the base cannot reach.
    """
    t_start = time.perf_counter()
    simulator.check_reweightable(space.names)
    generated_first = base is None
    walking = settings.walk_events is not None and settings.walk_events < settings.n_events
    if base is None:
        first_events = settings.walk_events if walking else settings.n_events
        log(f"generating the first base run ({first_events} events) at the start point")
        base = simulator.run(space.point(space.start), first_events, settings.seed, label="base-0")
    _check_fixed(simulator, base, space)
    run = base
    generated_runs = [base]
    theta = np.array(space.start, dtype=np.float64)
    steps: list[dict] = []
    warnings: list[str] = []
    converged = False
    first_objective: ReweightedObjective | None = None
    objective: ReweightedObjective | None = None
    fit: InnerFit | None = None
    tolerance = settings.converge_delta_chi2
    if tolerance is None:
        from scipy.stats import chi2 as chi2_dist

        tolerance = float(chi2_dist.ppf(0.68, space.dim))
    polishing = False
    by_noise = False       # converged because the base's gain was within its own MC noise (gain_noise_sigma)
    min_n_eff = settings.min_n_eff
    phase_start = 0        # iteration at which the bases got their final size (the regeneration cap is per phase)
    current: tuple[float, float, SimulationRun, np.ndarray] | None = None   # (direct chi2, its MC variance, run, point)

    def new_base(at: np.ndarray, events: int, k: int) -> SimulationRun:
        """Generate base ``k + 1`` at ``at`` (seed ``seed + k + 1``) and keep it with the others."""
        made = simulator.run(space.point(at), events, settings.seed + k + 1, label=f"base-{k + 1}")
        generated_runs.append(made)
        return made

    def new_phase(at: np.ndarray, events: int, k: int, why: str) -> SimulationRun:
        """Generate base ``k + 1`` of a new size: the trust region and the regeneration cap start afresh, and the
        base is not ratio-tested against the differently sized one that proposed it (their chi2 differ by their MC
        errors)."""
        nonlocal phase_start, current, min_n_eff
        phase_start = k + 1
        current = None
        min_n_eff = settings.min_n_eff
        log(f"{why}; generating a base of {events} events at {space.point(at)}")
        return new_base(at, events, k)

    size = settings.n_events          # events of the full-size bases (doubled by grow_events)
    doublings = int(np.floor(np.log2(settings.grow_events / settings.n_events))) if settings.grow_events else 0
    for k in range((2 * settings.max_regenerations + 4 if walking else settings.max_regenerations + 2)
                   + doublings * (settings.max_regenerations + 2)):
        objective = ReweightedObjective(run, target, space, mc_errors=settings.mc_errors)
        if first_objective is None:
            first_objective = objective
        base_theta = np.array([run.point.get(n, np.nan) for n in space.names])
        if not np.all(np.isfinite(base_theta)):
            base_theta = theta
        chi2_base = objective.value_and_grad(base_theta)[0]
        var_base = direct_chi2_variance(objective, base_theta)
        ndf = max(target.ndf(space.dim), 1)
        # trust-region ratio test: the new base must not be significantly worse than the base that proposed it
        test = ratio_test(settings, objective, chi2_base, var_base, current) \
            if current is not None and not polishing else None
        if test is not None and test["rejected"]:
            # the reweighted chi2 promised a gain that the generator does not deliver (a noise minimum far
            # from the base): go back to the proposing base and shrink the trust region
            # halve the rejected step's 1 - n_eff/N, not only the region's: a rejected minimum inside the region
            # would otherwise be proposed again, and regenerating at the same point only redraws the noise
            stepped = fit.n_eff if fit is not None else min_n_eff
            min_n_eff = 1.0 - 0.5 * (1.0 - max(min_n_eff, stepped))
            reason = f"rejected: {test['why']}; back to that base with the trust region shrunk to n_eff/N >= {min_n_eff:.3f}"
            steps.append({"iteration": k, "run": run.to_dict(), "theta_base": base_theta.tolist(), "chi2_base": chi2_base,
                          "chi2_base_noise": float(np.sqrt(var_base)), "theta_min": base_theta.tolist(),
                          "chi2_min": chi2_base, "n_eff_min": 1.0, "evaluations": 0,
                          "optimizer": "", "decision": reason, "min_n_eff": min_n_eff, "ratio_test": test})
            log(f"[base {k}: {run.label}, {run.n_events} events] {reason}")
            chi2_base, var_base, run, base_theta = current
            theta = base_theta
            objective = ReweightedObjective(run, target, space, mc_errors=settings.mc_errors)
            k_label = f"{k} (back at {run.label})"
        else:
            current = (chi2_base, var_base, run, base_theta)
            k_label = str(k)
        fit = minimise_reweighted(objective, theta, min_n_eff=min_n_eff, max_iterations=settings.max_iterations,
                                  mirror_about=base_theta if settings.symmetric_region else None)
        gain = chi2_base - fit.chi2
        shrunk = min_n_eff >= settings.polish_n_eff > settings.min_n_eff
        # a model that misses the data (chi2/ndf = S^2 > 1) makes the MC noise of every chi2 difference
        # S times larger (the noise multiplies the residuals): scale the threshold as the PDG scale factor does
        scale = max(1.0, fit.chi2 / ndf)
        threshold = tolerance * scale
        noise_of_gain = gain_noise(objective, base_theta, fit.theta) if settings.gain_noise_sigma > 0 else 0.0
        noise_limited = settings.gain_noise_sigma * noise_of_gain > threshold
        threshold = max(threshold, settings.gain_noise_sigma * noise_of_gain)
        by_noise = False
        if shrunk and gain >= threshold:
            reason = (f"converged: new bases did not confirm the reweighted gains, the trust region is down to "
                      f"n_eff/N >= {min_n_eff:.3g}: the last accepted base's minimum inside it")
        elif gain < threshold and noise_limited:
            by_noise = True
            reason = (f"converged: the minimum improves on the base point by {gain:.2f} < {settings.gain_noise_sigma:g} x "
                      f"{noise_of_gain:.2f}, this base's own MC noise on that gain: it cannot tell its minimum from its "
                      "own point; the estimate moves from that point only along the directions it is informed about "
                      "and whose own gain is significant")
        elif gain < threshold:
            reason = (f"converged: the minimum improves on the base point by {gain:.2f} < {tolerance * scale:.2f} in "
                      f"chi2 ({tolerance:.2f} x max(1, chi2/ndf)): the base is at its own minimum, within the 68% region")
        elif fit.on_boundary:
            reason = f"minimum on the trust-region boundary (n_eff/N = {min_n_eff:.3g}): regenerate there"
        else:
            reason = f"minimum inside the trust region but {gain:.2f} below the base point in chi2: regenerate there"
        steps.append({"iteration": k, "run": run.to_dict(), "theta_base": base_theta.tolist(), "chi2_base": chi2_base,
                      "chi2_base_noise": float(np.sqrt(var_base)), "theta_min": fit.theta.tolist(), "chi2_min": fit.chi2, "n_eff_min": fit.n_eff,
                      "evaluations": fit.n_evaluations, "optimizer": fit.message, "decision": reason,
                      "min_n_eff": min_n_eff, **({"ratio_test": test} if test is not None else {}),
                      **({"gain_noise": noise_of_gain} if settings.gain_noise_sigma > 0 else {})})
        log(f"[base {k_label}: {run.label}, {run.n_events} events] chi2 {chi2_base:.2f} -> {fit.chi2:.2f} at "
            f"{np.round(fit.theta, 4).tolist()} (n_eff/N = {fit.n_eff:.3f}, {fit.n_evaluations} evaluations): {reason}")
        kept = None
        if by_noise:
            theta, kept, directions = informed_step(objective, base_theta, fit.theta,
                                                    gain_sigma=settings.gain_noise_sigma)
            steps[-1]["informed_step"] = {"estimate": theta.tolist(), "directions": directions}
            log(f"  the estimate moves along {sum(d['moved'] for d in directions)} of {len(directions)} "
                f"eigen-directions: {_direction_text(directions)}")
        else:
            theta = fit.theta
        if polishing:
            steps[-1]["decision"] = f"final base at the converged minimum ({reason})"
            break
        if walking and (reason.startswith("converged") or k - phase_start >= settings.max_regenerations):
            # the walk is over: from here on the bases have their full size, starting at the walk's minimum
            if not reason.startswith("converged"):
                warnings.append(f"the walk on {settings.walk_events}-event bases did not converge after "
                                f"{settings.max_regenerations} regenerations ({reason}); the full-size bases go on "
                                "from its last minimum")
            walking = False
            run = new_phase(theta, settings.n_events, k, f"walk over ({reason.split(':')[0]})")
            continue
        uninformed = by_noise and (kept is None or float(np.min(kept)) < 0.5)
        kept_text = "undefined" if kept is None else np.round(kept, 3).tolist()
        if uninformed and settings.grow_events is not None and 2 * size <= settings.grow_events:
            # the base cannot resolve its minimum along some direction: more events, not a stop
            size *= 2
            run = new_phase(theta, size, k, f"this base is not informed along every direction (kept fractions "
                                            f"{kept_text})")
            continue
        if uninformed:
            warnings.append(f"the last base ({run.n_events} events) could not tell its minimum from its own point and "
                            f"is not informed along every direction (kept fractions {kept_text}): along those the "
                            "estimate is where the walk reached, not a minimum; larger bases (grow_events) would "
                            "resolve it")
        if reason.startswith("converged"):
            converged = True
            if by_noise or fit.n_eff >= settings.polish_n_eff or k - phase_start == settings.max_regenerations:
                break
            # the minimum is statistically settled but seen through weights far from 1: take the final
            # numbers (value, Hessian, scans) from one more base generated there
            polishing = True
            log(f"converged; n_eff/N = {fit.n_eff:.2f} < polish_n_eff = {settings.polish_n_eff} at the minimum: one "
                "more base there for the final estimate and errors")
            run = new_base(theta, size, k)
            continue
        if k - phase_start >= settings.max_regenerations:
            warnings.append(f"not converged after {settings.max_regenerations} regenerations ({reason}); the result "
                            "is the last minimum: raise max_regenerations or start closer")
            break
        events = settings.walk_events if walking else size
        log(f"regenerating the base at {space.point(theta)} ({events} events)")
        run = new_base(theta, events, k)
    assert objective is not None and fit is not None and first_objective is not None
    regenerated = len(generated_runs) - 1
    n_generated = sum(r.n_events for r in generated_runs[0 if generated_first else 1:])
    pool_info: dict[str, Any] = {}
    if settings.pool_bases:
        pool = poolable(generated_runs, objective.run, space.names)
        if len(pool) >= 2:
            objective, theta, min_n_eff, pool_info = pooled_minimum(pool, objective, theta, settings, log=log)
            steps.append(pool_info["step"])
    # a base that cannot tell its minimum from its own point keeps its point: Newton steps would follow the noise
    theta, hess = newton_refine(objective, theta, steps=0 if by_noise else settings.newton_steps, min_n_eff=min_n_eff)
    chi2_best, _, n_eff_best, _ = objective.value_and_grad(theta)
    cov, cov_warnings, cov_source = final_covariance(objective, theta, hess)
    warnings += cov_warnings
    at_limit = [n for n, u in zip(space.names, space.to_unit(theta)) if u < 1e-6 or u > 1 - 1e-6]
    if at_limit:
        warnings.append(f"{at_limit} ended at their limits: the chi2 wants to go further; widen the limits "
                        "(errors at a limit are not meaningful)")
    diag = _weight_check(objective, theta)
    sandwich = sandwich_errors(objective, theta)
    warnings += _derivative_noise_warning(sandwich["curvature_kept"], objective.run.n_events)
    scans = []
    if settings.scan_points:
        def evaluate(t: np.ndarray) -> tuple[float, float]:
            c, _, n, _ = objective.value_and_grad(t)
            return c, n

        scans = scan_1d(evaluate, theta, space.names, hess, cov, space.lower, space.upper,
                        n_points=settings.scan_points)
    validation: dict[str, Any] = {}
    if settings.validate:
        log(f"validation: generating {settings.n_events} events directly at the best fit")
        check = simulator.run(space.point(theta), settings.n_events, settings.seed + 1000, label="validation",
                              histories=False)
        n_generated += check.n_events
        validation = {"chi2_validation_run": run_chi2(check, target),
                      "chi2_reweighted_at_best": objective.plain_chi2(theta)}
        validation["validation_run"] = check.to_dict()
        log(f"[validation] direct run at the best fit: chi2 = {validation['chi2_validation_run']:.1f} "
            f"(reweighted prediction: {validation['chi2_reweighted_at_best']:.1f}, {target.n_points} points)")
    w_start = None if np.allclose(space.start, [base.point.get(n, np.nan) for n in space.names]) \
        else first_objective.event_weights(space.start)
    chi2_start = first_objective.plain_chi2(space.start)
    result = TuneResult(
        method="gradient", names=space.names, start=np.array(space.start), best=theta, covariance=cov, hessian=hess,
        chi2_start=chi2_start, chi2=objective.plain_chi2(theta), n_points=target.n_points, converged=converged,
        n_events=n_generated, n_runs=regenerated + int(generated_first) + int(settings.validate), seconds=time.perf_counter() - t_start,
        steps=steps, scans=scans, warnings=warnings + diag, fixed=dict(space.fixed),
        extra={"n_eff_history": [s["n_eff_min"] for s in steps], "regenerations": regenerated,
               "n_eff_best": n_eff_best, "chi2_minimised": chi2_best, "covariance_source": cov_source,
               "pooled_runs": pool_info.get("runs", []), "settings": settings.__dict__, "base": base.to_dict(), **sandwich, **validation},
        start_point=RunPoint(base, np.array(space.start), w_start, "reweighted" if w_start is not None else "direct",
                             base_errors=settings.mc_errors != "reweighted"),
        best_point=RunPoint(objective.run, theta, objective.event_weights(theta), "reweighted",
                            base_errors=settings.mc_errors != "reweighted"),
    )
    if result.unequal_statistics:
        result.warnings.append(_unequal_statistics_warning(result.start_point.run.n_events,
                                                           result.best_point.run.n_events))
    return result


def informed_step(objective: ReweightedObjective, base_theta: np.ndarray, theta: np.ndarray, *,
                  min_kept: float = 0.5, gain_sigma: float = 0.0) -> tuple[np.ndarray, np.ndarray | None, list[dict]]:
    """The step from the base's point to its minimum, kept only along the directions the base is informed about.

    In the frame where the base's apparent curvature ``G_hat = J^T W J`` is the identity, the
    eigen-directions of the noise-corrected curvature (:func:`.covariance.noise_corrected_sandwich`)
    have kept fractions ``f_k``; the step is projected onto those with ``f_k >= min_kept``. Along
    the others (the aLund-bLund valley of a small base) the base's minimum is its derivatives'
    noise, and the estimate stays at the base's point.

    With ``gain_sigma > 0`` an informed direction must also carry a significant gain: its part of
    the step alone must lower the chi2 by at least ``gain_sigma`` x that gain's MC noise
    (:func:`gain_noise`), or the estimate stays at the base's point along it too. Curvature that
    is information does not make an insignificant gain significant: a large base that keeps more
    than half of the valley's curvature can still put its minimum on the trust-region boundary by
    noise (measured in docs/tune.md, "Three stopping rules").

    Returns:
        ``(estimate, f, directions)``: ``f`` the kept fractions (ascending), None where the apparent
        curvature is not positive definite (the estimate is then the base's point); ``directions``
        one record per eigen-direction (``kept``, ``moved``, and with ``gain_sigma`` the direction's
        ``gain`` and its ``noise``).
    """
    base_theta = np.asarray(base_theta, dtype=np.float64)
    target = objective.target
    wdiag = objective.chi2_factors(base_theta)
    jac, noise = derivative_noise(objective.run.contributions, target, objective.event_weights(base_theta),
                                  objective.event_scores(base_theta), wdiag)
    frame = information_frame(jac, noise, wdiag)
    if frame is None:
        return base_theta.copy(), None, []
    half, inv_half, kept, t_vecs = frame
    whitened = half @ (np.asarray(theta, dtype=np.float64) - base_theta)
    chi2_here = objective(base_theta) if gain_sigma > 0 else 0.0
    step = np.zeros_like(base_theta)
    directions: list[dict] = []
    for k in range(len(kept)):
        record: dict[str, Any] = {"kept": float(kept[k]), "moved": bool(kept[k] >= min_kept)}
        part = inv_half @ t_vecs[:, k] * float(t_vecs[:, k] @ whitened)
        if record["moved"] and gain_sigma > 0:
            record["gain"] = float(chi2_here - objective(base_theta + part))
            record["noise"] = gain_noise(objective, base_theta, base_theta + part)
            record["moved"] = record["gain"] >= gain_sigma * record["noise"]
        if record["moved"]:
            step += part
        directions.append(record)
    return base_theta + step, kept, directions


def _direction_text(directions: list[dict]) -> str:
    """The informed_step decisions on one line: each direction's kept fraction, gain and noise where tested, and whether it moved."""
    parts = []
    for d in directions:
        tested = f", gain {d['gain']:.2f} vs noise {d['noise']:.2f}" if "gain" in d else ""
        parts.append(f"[kept {d['kept']:.2f}{tested}: {'moved' if d['moved'] else 'stays'}]")
    return " ".join(parts) or "curvature not positive definite: stays"


def gain_noise(objective: ReweightedObjective, base_theta: np.ndarray, theta: np.ndarray) -> float:
    """Standard deviation of ``chi2(base_theta) - chi2(theta)`` from the base run's own MC noise (first order)."""
    target = objective.target
    # everything at theta first: the objective keeps one evaluation without gradient, so theta is reweighted once
    a = objective.chi2_factors(theta)
    r_at = target.data - objective.values(theta)[0]
    weights = objective.event_weights(theta)
    r_base = target.data - objective.values(base_theta)[0]
    return float(np.sqrt(chi2_gain_variance(objective.run.contributions, target, weights, r_at, r_base, a)))


def ratio_test(settings: GradientSettings, objective: ReweightedObjective, chi2_base: float, var_base: float,
               previous: tuple[float, float, SimulationRun, np.ndarray]) -> dict[str, Any]:
    """Does a new base confirm the step from the base that proposed it? (``settings.ratio_test``)

    Args:
        objective: the new base's reweighted chi2; ``chi2_base``, ``var_base``: its direct
            chi2 at its own point and that chi2's MC variance.
        previous: ``(direct chi2, its MC variance, run, point)`` of the proposing base.

    Returns:
        ``{"kind", "rejected", "why", ...}`` with the numbers compared. ``"direct"``: the two
        runs' direct chi2 (``rejected`` if the new one is higher by more than
        ``reject_sigma`` x their combined MC noise). ``"paired"``: the new base's direct
        chi2 at its point against its own reweighted chi2 at the previous point
        (``rejected`` if that is lower); where the new base's n_eff/N at the previous
        point is below half the trust region's bound, the reweighted chi2 there means
        little, and the direct comparison is used instead.
    """
    chi2_prev, var_prev, _, theta_prev = previous
    floor = 0.5 * settings.min_n_eff
    if settings.ratio_test == "paired":
        chi2_back, _, n_eff_back, _ = objective.value_and_grad(theta_prev)
        if n_eff_back >= floor:
            return {"kind": "paired", "rejected": bool(chi2_back < chi2_base), "chi2_here": chi2_base,
                    "chi2_at_previous": chi2_back, "n_eff_at_previous": n_eff_back,
                    "why": (f"this base's own events put the proposing base's point {np.round(theta_prev, 4).tolist()} "
                            f"lower: chi2 {chi2_back:.2f} there (reweighted, n_eff/N = {n_eff_back:.3f}) against "
                            f"{chi2_base:.2f} here")}
        fallback = (f"the paired test fell back to the direct one: this base's n_eff/N at the proposing base's point "
                    f"is {n_eff_back:.3f} < {floor:.3f}; ")
    else:
        fallback = ""
    noise = float(np.sqrt(var_base + var_prev))
    sigma = settings.reject_sigma          # 0 with ratio_test="paired" (GradientSettings refuses anything else)
    return {"kind": "direct", "rejected": bool(chi2_base - chi2_prev > sigma * noise), "chi2_here": chi2_base,
            "chi2_previous": chi2_prev, "noise": noise,
            "why": (f"{fallback}chi2 {chi2_base:.2f} at this base is {chi2_base - chi2_prev:.2f} above the proposing "
                    f"base's {chi2_prev:.2f}, more than {sigma:g} x {noise:.2f} (the two runs' MC noise)")}


def pooled_minimum(runs: list[SimulationRun], objective: ReweightedObjective, theta: np.ndarray,
                   settings: GradientSettings, *, log: Callable[[str], None] = print
                   ) -> tuple[ReweightedObjective, np.ndarray, float, dict[str, Any]]:
    """The minimum near ``theta`` of the chi2 predicted by all ``runs`` pooled (:mod:`.pooled`).

    The trust region is relative to the pool: ``n_eff`` must stay above ``min_n_eff`` times
    its value at ``theta`` (a pool's ``n_eff/N`` is below 1 everywhere, being a mixture).

    Returns:
        ``(pooled objective, minimum, its n_eff/N bound, {"runs": labels, "step": record})``.
    """
    pooled = pool_runs(runs, label=f"pool-{len(runs)}")
    pooled_objective = ReweightedObjective(pooled, objective.target, objective.space, mc_errors=settings.mc_errors)
    chi2_at, _, n_eff_at, _ = pooled_objective.value_and_grad(theta)
    bound = settings.min_n_eff * n_eff_at
    fit = minimise_reweighted(pooled_objective, theta, min_n_eff=bound, max_iterations=settings.max_iterations)
    labels = [run.label for run in runs]
    reason = (f"pooled: the {len(runs)} base runs {labels} ({pooled.n_events} events) as one sample by multiple "
              f"importance sampling; its chi2 {chi2_at:.2f} at the iteration's point -> {fit.chi2:.2f} at its minimum "
              f"(n_eff/N of the pool {n_eff_at:.3f} -> {fit.n_eff:.3f}); the final estimate and errors come from the pool")
    log(f"[pool of {len(runs)} runs, {pooled.n_events} events] chi2 {chi2_at:.2f} -> {fit.chi2:.2f} at "
        f"{np.round(fit.theta, 4).tolist()}: {reason}")
    step = {"iteration": "pool", "run": pooled.to_dict(), "theta_base": np.asarray(theta).tolist(), "chi2_base": chi2_at,
            "theta_min": fit.theta.tolist(), "chi2_min": fit.chi2, "n_eff_min": fit.n_eff,
            "evaluations": fit.n_evaluations, "optimizer": fit.message, "decision": reason, "min_n_eff": bound}
    return pooled_objective, fit.theta, bound, {"runs": labels, "step": step}


def final_covariance(objective: ReweightedObjective, theta: np.ndarray, hessian: np.ndarray
                     ) -> tuple[np.ndarray, list[str], str]:
    """``2 H^-1`` of the exact Hessian, or the Gauss-Newton covariance where that is not positive definite.

    Along the flat aLund-bLund valley the curvature of a reweighted chi2 is small and its
    MC noise can make the exact Hessian indefinite at the minimum; its errors are then
    undefined (NaN). The Gauss-Newton curvature ``2 J^T W J`` (``W = w**2 / (s**2 + e**2)``,
    ``J`` the derivatives of the predictions) is the chi2's expected curvature: positive
    definite whenever the predictions move with every parameter, and equal to the exact
    Hessian for a linear model. It is used instead, with a warning.

    Returns:
        ``(cov, warnings, source)``, ``source`` = ``"hessian"`` or ``"gauss-newton"``.
    """
    cov, warnings = covariance_from_hessian(hessian)
    if np.all(np.isfinite(np.diag(cov))):
        return cov, warnings, "hessian"
    target = objective.target
    total_err = np.hypot(target.data_err, objective.chi2_errors(theta))
    try:
        cov_gn = fisher_limit(objective.jacobian(theta), total_err, target.weights)
    except np.linalg.LinAlgError:
        return cov, warnings, "hessian"
    if not np.all(np.isfinite(cov_gn)) or np.any(np.linalg.eigvalsh(0.5 * (cov_gn + cov_gn.T)) <= 0):
        return cov, warnings, "hessian"
    eigenvalues = np.linalg.eigvalsh(0.5 * (hessian + hessian.T))
    return cov_gn, [f"the chi2 Hessian at the minimum is not positive definite (eigenvalues "
                    f"{np.round(eigenvalues, 6).tolist()}): the errors come from the Gauss-Newton curvature "
                    "2 J^T W J (the chi2's expected curvature) instead; compare them with the chi2 scans and the "
                    "sandwich errors"], "gauss-newton"


def direct_chi2_variance(objective: ReweightedObjective, theta: np.ndarray) -> float:
    """Variance of the objective's Professor chi2 at ``theta`` from its run's MC noise (data fixed).

    Meant for the run's own point (weights 1), where the chi2 is a direct prediction; see
    :func:`.covariance.chi2_mc_variance`.
    """
    target = objective.target
    values, _ = objective.values(theta)
    mc_cov = prediction_covariance(objective.run.contributions, target, objective.event_weights(theta))
    return chi2_mc_variance(target.data - values, target.data_err, objective.chi2_errors(theta), target.weights, mc_cov)


def sandwich_errors(objective: ReweightedObjective, theta: np.ndarray) -> dict[str, list]:
    """Sandwich covariances at the best fit (see :mod:`.covariance`), two assumptions about the data.

    ``covariance_sandwich_uncorrelated_data``: data points independent (as the chi2
    assumes), MC correlations of the final base included; ``covariance_sandwich_mc_correlations``:
    the data errors additionally share the MC's statistical correlations (right for
    statistics-dominated data, an approximation otherwise); ``covariance_sandwich_noise_corrected``:
    the first with the MC noise of the reweighted derivatives taken out of the curvature
    (:func:`.covariance.noise_corrected_sandwich`), and ``curvature_kept``: the fraction of
    the apparent curvature that is information, per direction (ascending). Along the
    aLund-bLund valley of a 40k-event base only 10-20% of it is, and the plain sandwich
    errors there are 2-3 times too small.
    """
    target = objective.target
    jac = objective.jacobian(theta)
    e_fit = objective.chi2_errors(theta)
    weights = objective.event_weights(theta)
    sigma_mc = prediction_covariance(objective.run.contributions, target, weights)
    s = target.data_err
    sd_mc = np.sqrt(np.diag(sigma_mc))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.where(np.outer(sd_mc, sd_mc) > 0, sigma_mc / np.outer(sd_mc, sd_mc), 0.0)
    np.fill_diagonal(corr, 1.0)
    out: dict[str, list] = {}
    for key, sigma_data in (("covariance_sandwich_uncorrelated_data", np.diag(s**2)),
                            ("covariance_sandwich_mc_correlations", corr * np.outer(s, s))):
        out[key] = sandwich_covariance(jac, s, e_fit, target.weights, sigma_data + sigma_mc).tolist()
    cov, kept = noise_corrected_sandwich(objective.run.contributions, target, weights, objective.event_scores(theta),
                                         e_fit, np.diag(s**2) + sigma_mc)
    out["covariance_sandwich_noise_corrected"] = cov.tolist()
    out["curvature_kept"] = kept.tolist()
    return out


def _derivative_noise_warning(kept: list[float], n_events: int) -> list[str]:
    """A warning when MC noise in the reweighted derivatives is half or more of the chi2's curvature."""
    worst = float(np.min(kept))
    if not np.isfinite(worst) or worst >= 0.5:
        return []
    if worst > 0:
        share = f"only {worst:.0%} of the apparent curvature is information"
        need = f"about {int(np.ceil(n_events * (1 - worst) / worst / 1000.0))}k events per base would make it half"
    else:
        share = f"none of the apparent curvature is information (the estimated noise is {1 - worst:.0%} of it)"
        need = "bases at least 10x larger are needed"
    return [f"along the chi2's flattest direction {share}; the rest is MC noise in the reweighted derivatives "
            f"({n_events} events in the base): the 2H^-1 and sandwich errors are too small there, quote the "
            f"noise-corrected sandwich errors (NaN: not constrained at this MC statistic); {need} "
            "(mlhad tune --gain-noise-sigma 2 --grow-events M grows the bases while a direction is not informed; "
            "mlhad tune --refine-bases 8 takes the mean of 8 independent bases' minima and adds their scatter to the "
            "errors, the option whose valley closures have unit-Gaussian pulls; see docs/tune.md, 'Refinement with "
            "independent bases')"]


def _unequal_statistics_warning(n_start: int, n_best: int) -> str:
    """The chi2 at the start and at the best fit come from bases of different sizes (walk_events, grow_events)."""
    return (f"the chi2 at the start comes from a {n_start}-event base and the best fit's from a {n_best}-event base: "
            "the MC errors in the chi2's denominators differ (a smaller base has larger errors, hence a lower chi2), "
            "so the two chi2 values, and the per-histogram tables, are not comparable; compare the two points at "
            "equal statistics, e.g. direct runs of the same size at both (--validate makes one at the best fit)")


def _weight_check(objective: ReweightedObjective, theta: np.ndarray) -> list[str]:
    """Coverage of the final base at the best fit (mean weight ~ 1, no dominant event)."""
    from mlhad.reweight.diagnostics import weight_diagnostics

    d = weight_diagnostics(objective.event_weights(theta))
    out = []
    if d.one_minus_mu_error > 0 and abs(d.one_minus_mu) > 4 * d.one_minus_mu_error:
        out.append(f"the final base's mean weight at the best fit deviates from 1 by "
                   f"{abs(d.one_minus_mu) / d.one_minus_mu_error:.1f} sigma ({d}); reweighted predictions may be biased")
    if d.max_share > 0.01:
        out.append(f"one event carries {d.max_share:.1%} of the weight at the best fit ({d})")
    return out
