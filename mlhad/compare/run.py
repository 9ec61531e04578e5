"""``compare_sample``: a sample against one or more reference YODA files, with report.

Steps: read the data files; for every analysis they contain (and the registry knows)
compute or load the sample's contributions, fill and normalise them with the event
weights, compare point by point (:mod:`mlhad.compare.comparison`), write the MC YODA
files, the plots and the report. Everything a step needs is an argument, so each step
can also be called on its own from Python.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mlhad.analysis import Contributions, Prediction, analysis_contributions, predict, write_predictions
from mlhad.analysis.variance import effective_sample_fraction
from mlhad.exceptions import ConfigError, HistogramError, OutputExistsError, RegistryError, SampleError
from mlhad.io import Sample, open_sample
from mlhad.registry import analysis as registry_analysis
from mlhad.yoda import YodaObject, read_yoda

from .comparison import Comparison, compare_predictions
from .report import write_report
from .weights import WeightFile, read_weights

__all__ = ["SampleComparison", "compare_sample", "read_data", "load_event_weights", "LOW_N_EFF", "low_n_eff_warning"]


@dataclass(frozen=True, eq=False)
class SampleComparison:
    """What :func:`compare_sample` produced.

    Attributes:
        comparison: the chi2 per histogram and in total.
        predictions: ``{analysis: {mc_path: Prediction}}``.
        contributions: ``{analysis: Contributions}``.
        report: ``index.md`` of the report, or None if no output directory was given.
        mc_files: the MC YODA files written.
    """

    comparison: Comparison
    predictions: dict[str, dict[str, Prediction]]
    contributions: dict[str, Contributions]
    report: Path | None = None
    mc_files: tuple[Path, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)


def read_data(files: Sequence[str | os.PathLike[str]]) -> dict[str, dict[str, YodaObject]]:
    """Reference objects of several YODA files grouped by analysis: ``{analysis: {ref_path: object}}``.

    Objects not under ``/REF/<ANALYSIS>/`` and bookkeeping objects are ignored.

    Raises:
        InputFileNotFoundError, YodaFormatError: as :func:`mlhad.yoda.read_yoda`.
        ConfigError: no file given, or the same path in two files.
    """
    if not files:
        raise ConfigError("no reference data given; pass at least one --data FILE.yoda")
    out: dict[str, dict[str, YodaObject]] = {}
    origin: dict[str, str] = {}
    for f in files:
        for path, obj in read_yoda(f).items():
            parts = path.split("/")
            if obj.is_bookkeeping or len(parts) != 4 or parts[1] != "REF":
                continue
            if path in origin:
                raise ConfigError(f"{path} is in both {origin[path]} and {f}; give each reference object once")
            origin[path] = str(f)
            out.setdefault(parts[2], {})[path] = obj
    return out


def load_event_weights(sample: Sample, spec: str) -> tuple[np.ndarray, list[str]]:
    """Event weights from a column set of the sample: ``NAME`` or ``NAME:FIELD[,FIELD...]``.

    Returns ``((n_events, K) weights, K column names)``; all numeric fields of the set
    are used when none are named.

    Raises:
        MissingColumnError: no such column set or field.
        ConfigError: a non-numeric or nested field.
    """
    name, _, fields_text = spec.partition(":")
    table = sample.read_column_set(name)
    import awkward as ak

    available = ak.fields(table)
    wanted = [f for f in fields_text.split(",") if f] if fields_text else available
    if not wanted:
        wanted = [""]
    columns = []
    for f in wanted:
        if f and f not in available:
            raise ConfigError(f"column set {name!r} of {sample.path} has no field {f!r}; fields: {available}")
        arr = table[f] if f else table
        try:
            columns.append(ak.to_numpy(arr).astype(np.float64))
        except (ValueError, TypeError) as err:
            raise ConfigError(f"column set {name!r} field {f!r} is not one number per event ({err})") from err
    names = [(f or name).lower().replace(" ", "_") for f in wanted]
    return np.column_stack(columns), names


#: Below this n_eff/N of the event weights, ``compare_sample`` warns that the chi2 is not comparable with a
#: direct run's.
LOW_N_EFF = 0.5


def low_n_eff_warning(n_eff: float) -> str:
    """Why a chi2 with strongly varying event weights is not a direct run's chi2."""
    inflation = 1.0 / np.sqrt(max(n_eff, 1e-12))
    return (f"the event weights have n_eff/N = {n_eff:.3f}: the MC errors are the weighted sample's "
            f"(sqrt(sum w^2), about {inflation:.1f}x those of a direct run of the same size), so this chi2 is "
            "smaller than a directly generated sample's at the same parameters would be; compare chi2 between "
            "points only with runs of similar n_eff, or generate directly at the point (mlhad generate --set)")


def _check_weights(weights: np.ndarray, sample: Sample, what: str) -> None:
    """Fail before the expensive observable pass on weights that cannot be used."""
    if weights.ndim not in (1, 2) or weights.shape[0] != sample.n_events:
        raise HistogramError(f"{what}: shape {weights.shape} does not fit the {sample.n_events} events of {sample.path}; "
                             "give one weight (row) per event")
    bad = ~np.isfinite(weights)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise HistogramError(f"{what}: {int(bad.sum())} of {weights.size} event weights are NaN or inf (the first at "
                             f"index {first}); fix or drop them before comparing")


def _display(path: str | os.PathLike[str]) -> str:
    """A path for the report: relative to the working directory when inside it."""
    p = Path(path).resolve()
    try:
        return str(p.relative_to(Path.cwd()))
    except ValueError:
        return str(p)


def _prepare_out(out: str | os.PathLike[str] | None, overwrite: bool) -> Path | None:
    if out is None:
        return None
    root = Path(out)
    if root.exists() and not root.is_dir():
        raise OutputExistsError(f"{root} exists and is not a directory; choose another --out")
    if root.is_dir() and any(root.iterdir()) and not overwrite:
        raise OutputExistsError(f"report directory {root} is not empty; use overwrite=True (--overwrite) to replace its files")
    return root


def compare_sample(
    sample: Sample | str | os.PathLike[str],
    data: Sequence[str | os.PathLike[str]],
    *,
    weight_file: str | os.PathLike[str] | WeightFile | None = None,
    event_weights: str | np.ndarray | None = None,
    variation: int = 0,
    out: str | os.PathLike[str] | None = None,
    overwrite: bool = False,
    plots: bool = True,
    progress: bool = True,
    workers: int = 1,
    title: str | None = None,
) -> SampleComparison:
    """Compare a sample with reference data: chi2 per histogram and in total, plots, report.

    Args:
        sample: the sample (or its directory).
        data: reference YODA files (e.g. ``rivet_data/ALEPH_1996_S3486095.yoda``).
        weight_file: Professor-style weight file (see :mod:`mlhad.compare.weights`).
        event_weights: ``(n_events,)`` / ``(n_events, K)`` weights, or a column-set
            spec ``NAME[:FIELD,...]`` of the sample; default unit weights.
        variation: the weight column compared (plots, chi2); all columns are written to
            the MC YODA files.
        out: report directory (``index.md``, ``index.html``, plots, MC YODA files); None
            for no files.
        overwrite: allow a non-empty ``out``.
        plots: draw the plots.
        progress: progress bars.
        workers: processes for the observable pass.
        title: report title.

    Raises:
        SampleError: no sample or no events. YodaFormatError: malformed data.
        BinningMismatchError: data and MC binnings differ. HistogramError: NaN weights,
        no accepted events. OutputExistsError: non-empty ``out`` without ``overwrite``.
    """
    root = _prepare_out(out, overwrite)
    sample = sample if isinstance(sample, Sample) else open_sample(sample)
    if sample.n_events == 0:
        raise SampleError(f"the sample at {sample.path} has no events; generate some first (mlhad generate)")
    weights_rules = read_weights(weight_file) if isinstance(weight_file, (str, os.PathLike)) else weight_file
    names: list[str] | None = None
    weights: np.ndarray | None
    if isinstance(event_weights, str):
        weights, names = load_event_weights(sample, event_weights)
    else:
        weights = None if event_weights is None else np.asarray(event_weights, dtype=np.float64)
    k = 1 if weights is None or weights.ndim == 1 else weights.shape[1]
    if not 0 <= variation < k:
        raise ConfigError(f"variation {variation} does not exist: the event weights have {k} column(s)")
    if weights is not None:
        _check_weights(weights, sample, event_weights if isinstance(event_weights, str) else "the event weights")
    by_analysis = read_data(data)
    known: dict[str, dict[str, YodaObject]] = {}
    unknown_skips: dict[str, str] = {}
    for name, objects in by_analysis.items():
        try:
            canonical = registry_analysis(name).name
        except RegistryError:
            unknown_skips.update({p: f"analysis {name} is not in mlhad's registry" for p in objects})
            continue
        known.setdefault(canonical, {}).update(objects)
    if not known:
        raise RegistryError(f"none of the analyses in {[str(d) for d in data]} is in mlhad's registry "
                            f"({sorted(by_analysis)}); nothing to compare")
    predictions: dict[str, dict[str, Prediction]] = {}
    contributions: dict[str, Contributions] = {}
    comparisons: list[Comparison] = []
    for name, reference in known.items():
        c = analysis_contributions(sample, name, reference=reference, progress=progress, workers=workers)
        pred = predict(c, weights, variations=names)
        contributions[name], predictions[name] = c, pred
        comparisons.append(compare_predictions(reference, pred, weights=weights_rules, variation=variation,
                                               skipped=c.skipped))
    n_eff = None if weights is None else effective_sample_fraction(weights if weights.ndim == 1 else weights[:, variation])
    low_n_eff = [] if n_eff is None or n_eff >= LOW_N_EFF else [low_n_eff_warning(n_eff)]
    comparison = Comparison(
        histograms=tuple(h for cmp in comparisons for h in cmp.histograms),
        skipped={**unknown_skips, **{p: r for cmp in comparisons for p, r in cmp.skipped.items()}},
        excluded=tuple(p for cmp in comparisons for p in cmp.excluded),
        warnings=tuple(dict.fromkeys([*low_n_eff, *(w for cmp in comparisons for w in cmp.warnings)])),
    )
    config = sample.metadata.get("config", {})
    meta = {
        "title": title or f"{sample.path.name} vs {', '.join(known)}",
        "sample": str(sample.path),
        "events": sample.n_events,
        "generator": f"preset {config.get('preset')}, seed {config.get('seed')}, settings {config.get('settings') or 'none'}",
        "data": ", ".join(_display(d) for d in data),
        "weight_file": None if weights_rules is None else weights_rules.source,
        "event_weights": event_weights if isinstance(event_weights, str) else (None if weights is None else "array"),
        "n_eff_fraction": None if n_eff is None else round(n_eff, 4),
        "mc_errors": "statistical, delta method with the event as unit (mlhad.analysis.variance)",
        "chi2": "sum w^2 (data - MC)^2 / (data_err^2 + MC_err^2), data_err = mean of down/up total error (Professor)",
    }
    report = None
    mc_files: list[Path] = []
    if root is not None:
        (root / "mc").mkdir(parents=True, exist_ok=True)
        for name in known:
            mc_files.append(write_predictions(root / "mc" / f"{name}.yoda", predictions[name], contributions[name],
                                              weights, variations=True, overwrite=True))
        report = write_report(comparison, root, meta=meta, plots=plots, progress=progress)
    return SampleComparison(comparison=comparison, predictions=predictions, contributions=contributions,
                            report=report, mc_files=tuple(mc_files), meta=meta)
