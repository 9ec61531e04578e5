"""MC YODA histograms of reweighted samples (what ``mlhad reweight --out`` writes)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from mlhad.exceptions import OutputExistsError
from mlhad.io import Sample

from .apply import ReweightResult

__all__ = ["write_reweighted_yoda"]


def write_reweighted_yoda(sample: Sample, results: Sequence[ReweightResult], out_dir: str | Path, *,
                          analyses: Sequence[str] = ("ALEPH_1996_S3486095",), overwrite: bool = False) -> list[Path]:
    """One YODA file per (target, analysis): ``<out>/<weight-set name>-<analysis>.yoda``.

    The observables are computed once per sample and analysis (cached beside the sample);
    each target only re-weights the stored contributions.
    """
    from mlhad.analysis import analysis_contributions, predict, write_predictions

    out = Path(out_dir)
    targets = [out / f"{r.name}-{a}.yoda" for r in results for a in analyses]
    existing = [p for p in targets if p.exists()]
    if existing and not overwrite:
        raise OutputExistsError(f"{existing[0]} exists; pass --overwrite to replace the reweighted histograms")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for analysis in analyses:
        contributions = analysis_contributions(sample, analysis)
        for r in results:
            prediction = predict(contributions, r.weights)
            path = out / f"{r.name}-{analysis}.yoda"
            written.append(write_predictions(path, prediction, contributions, r.weights, overwrite=overwrite))
    return written
