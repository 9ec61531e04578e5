"""``tune(config)``: read the data, build the objective, run a method, write the outputs.

Each step is a public function so it can be called on its own:
:func:`read_reference` (data files grouped by analysis) -> :func:`mlhad.inference.objective.build_target`
-> :func:`mlhad.inference.tune.space.build_space` -> ``fit_gradient`` / ``fit_optuna`` /
``fit_surrogate`` -> :func:`mlhad.inference.tune.report.write_outputs`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from mlhad.compare import read_data
from mlhad.exceptions import OutputExistsError, RegistryError, TuneError
from mlhad.registry import analysis as registry_analysis
from mlhad.threads import torch_threads
from mlhad.yoda import YodaObject

from ..objective import FitTarget, build_target
from ..professor_files import read_limits, read_weights, setting_name
from .blackbox import OptunaSettings, fit_optuna
from .config import TuneConfig
from .gradient import GradientSettings, fit_gradient
from .pythia import PythiaSimulator
from .refine import refine_with_independent_bases, refined_result
from .report import write_outputs
from .result import TuneResult
from .simulator import SimulationRun, Simulator
from .space import ParameterSpace, build_space
from .surrogate import SurrogateSettings, fit_surrogate

__all__ = ["tune", "read_reference", "run_method", "torch_threads"]

#: The refinement's bases use seeds from ``seed + REFINE_SEED_OFFSET`` on (the walk's use ``seed + k``,
#: its validation run ``seed + 1000``).
REFINE_SEED_OFFSET = 500_000


def read_reference(files: Sequence[str]) -> dict[str, dict[str, YodaObject]]:
    """Reference objects of YODA files, ``{analysis (canonical): {ref_path: object}}``.

    Raises:
        TuneError: no analysis of the files is known to mlhad's registry.
    """
    known: dict[str, dict[str, YodaObject]] = {}
    unknown: list[str] = []
    for name, objects in read_data(list(files)).items():
        try:
            canonical = registry_analysis(name).name
        except RegistryError:
            unknown.append(name)
            continue
        known.setdefault(canonical, {}).update(objects)
    if not known:
        raise TuneError(f"none of the analyses in {list(files)} ({unknown}) is in mlhad's registry, so no MC "
                        "prediction exists for them; the registry knows ALEPH_1996_S3486095 and DELPHI_1996_S3430090")
    return known


def _flat(reference: Mapping[str, Mapping[str, YodaObject]]) -> dict[str, YodaObject]:
    return {p: o for objects in reference.values() for p, o in objects.items()}


def run_method(config: TuneConfig, simulator: Simulator, target: FitTarget, space: ParameterSpace, *,
               base: SimulationRun | None = None, log: Callable[[str], None] = print) -> TuneResult:
    """Dispatch to the configured method with its settings."""
    n = config.events_per_run
    if config.method == "gradient":
        result = fit_gradient(simulator, target, space, GradientSettings(
            n_events=n, min_n_eff=config.min_n_eff, polish_n_eff=config.polish_n_eff,
            max_regenerations=config.max_regenerations, walk_events=config.walk_events, seed=config.seed,
            scan_points=13 if config.scans else 0, validate=config.validate,
            gain_noise_sigma=config.gain_noise_sigma, grow_events=config.grow_events,
            **({"ratio_test": config.ratio_test} if config.ratio_test is not None else {})), base=base, log=log)
        if config.refine_bases is None:
            return result
        events = config.refine_events or n
        log(f"refining the walk's best fit with {config.refine_bases} independent bases of {events} events, "
            f"{config.refine_rounds} round(s)")
        refinement = refine_with_independent_bases(
            simulator, target, space, result.best, bases=config.refine_bases, events=events,
            seed=config.seed + REFINE_SEED_OFFSET, rounds=config.refine_rounds, min_n_eff=config.min_n_eff, log=log)
        return refined_result(result, refinement)
    if config.method == "optuna":
        return fit_optuna(simulator, target, space, OptunaSettings(
            n_trials=config.n_trials, n_events=n, seed=config.seed, sampler=config.sampler), log=log)
    return fit_surrogate(simulator, target, space, SurrogateSettings(
        order=config.order, n_runs=config.n_runs, n_events=n, seed=config.seed,
        scan_points=13 if config.scans else 0), log=log)


def _prepare_out(out: Path, overwrite: bool) -> None:
    if out.exists() and not out.is_dir():
        raise OutputExistsError(f"{out} exists and is not a directory; choose another --out")
    if (out / "tune.json").exists() and not overwrite:
        raise OutputExistsError(f"{out} already holds a tune (tune.json); use --overwrite to replace its results "
                                "(generator runs under runs/ are reused)")


def tune(config: TuneConfig, *, simulator: Simulator | None = None, log: Callable[[str], None] = print
         ) -> TuneResult:
    """Run a tune and write its outputs into ``config.out`` (see :mod:`mlhad.inference.tune.report`).

    Args:
        config: the tune.
        simulator: the generator (default: :class:`PythiaSimulator` on the data's binning,
            runs under ``out/runs``).
        log: where progress lines go.

    Returns:
        The :class:`TuneResult` (also in ``out/tune.json``).

    Raises:
        TuneError: unusable data, limits, weights or parameters (the message says which
            file, line, histogram or parameter, and what to do).
        OutputExistsError: ``out`` already holds a tune and ``overwrite`` is False.
    """
    out = Path(config.out)
    _prepare_out(out, config.overwrite)
    reference = read_reference(config.data)
    check = read_reference(config.check) if config.check else {}
    overlap = set(_flat(reference)) & set(_flat(check))
    if overlap:
        raise TuneError(f"{sorted(overlap)[:3]} are both fitted (--data) and only checked (--check); give each "
                        "file once")
    weights = read_weights(config.weights) if config.weights else None
    limits = read_limits(config.limits) if config.limits else None
    with torch_threads(config.threads):
        if simulator is None:
            simulator = PythiaSimulator(reference=reference, work_dir=out / "runs", preset=config.preset,
                                        settings=config.settings, workers=config.workers, progress=config.progress)
        paths, skipped = simulator.mc_paths(reference)
        source = ", ".join(config.data)
        target = build_target(_flat(reference), paths, weights=weights, filter_zero_errors=config.filter_zero_errors,
                              skipped=skipped, source=source)
        for note in target.notes:
            log(f"note: {note}")
        log(f"fitting {target.n_points} points of {len(target.histograms)} histograms ({', '.join(target.analyses)})")
        base = None
        start = dict(config.start)
        if config.method == "gradient":
            simulator.check_reweightable(list(config.params))
            if config.base is not None:
                base_values = {n: simulator.setting_of(config.base, n) for n in map(setting_name, config.params)}
                start = {**{n: v for n, v in base_values.items() if v is not None}, **start}
        space = build_space(config.params, limits=limits, start=start)  # before any expensive step
        if config.method == "gradient" and config.base is not None:
            log(f"loading the base sample {config.base}")
            base = simulator.load(config.base, label="base")
        result = run_method(config, simulator, target, space, base=base, log=log)
        summary = write_outputs(out, result, target, {**reference, **check}, config=config.to_dict(),
                                check=tuple(config.check), plots=config.plots, progress=config.progress, log=log)
    # The per-histogram table (100+ rows) stays in summary.md; the log gets the overview.
    overview, _, _ = summary.partition("\n## chi2 per histogram")
    log(overview.rstrip() + f"\n\n(chi2 per histogram, before and after: {out / 'summary.md'})")
    return result

