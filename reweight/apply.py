"""Reweight a stored sample to new parameter points and store the weights beside it.

    results = reweight_sample(open_sample("runs/monash"), [{"aLund": 0.6, "bLund": 1.1}])

Weights go into the sample's column sets (``columns/<name>/``, one file per chunk, the set
visible only once complete), never into a copy of the events. Non-finite weights abort
before anything is written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import awkward as ak
import numpy as np
import torch

from mlhad.exceptions import ReweightError
from mlhad.io import Sample

from .diagnostics import WeightDiagnostics, check_coverage, weight_diagnostics
from .from_sample import reweighter_from_sample
from .parameters import validate_point

__all__ = ["ReweightResult", "reweight_sample", "weight_set_name"]


@dataclass(frozen=True)
class ReweightResult:
    name: str
    point: dict[str, float]
    weights: np.ndarray
    diagnostics: WeightDiagnostics
    covered: bool


def weight_set_name(point: Mapping[str, float]) -> str:
    """A readable identifier for a parameter point, e.g. ``rw_aLund0p6_bLund1p1``."""
    parts = []
    for name, value in point.items():
        short = name.split(":")[-1]
        text = f"{value:g}".replace("-", "m").replace(".", "p").replace("+", "")
        parts.append(f"{short}{text}")
    return re.sub(r"[^0-9A-Za-z_]", "_", "rw_" + "_".join(parts))


def reweight_sample(sample: Sample, targets: Sequence[Mapping[str, float]], *, names: Sequence[str] | None = None,
                    write: bool = True, overwrite: bool = False) -> list[ReweightResult]:
    """Compute (and by default store) event weights for each target point.

    Args:
        sample: a sample with fragmentation histories.
        targets: parameter points (names or aliases -> values).
        names: column-set names (default: from the point, see weight_set_name).
        write: store the weights as column sets of the sample.
        overwrite: replace existing column sets of the same names.
    """
    points = [validate_point(t) for t in targets]
    if names is not None and len(names) != len(points):
        raise ReweightError(f"{len(names)} names for {len(points)} targets")
    names = list(names) if names is not None else [weight_set_name(p) for p in points]
    if len(set(names)) != len(names):
        raise ReweightError(f"duplicate weight-set names {names}")
    existing = set(sample.column_sets())
    clash = [n for n in names if n in existing]
    if write and clash and not overwrite:
        raise ReweightError(f"weights {clash} already exist in {sample.path}; pass --overwrite to replace them")
    params = sorted({k for p in points for k in p})
    rw = reweighter_from_sample(sample, params)
    results = []
    for name, point in zip(names, points):
        with torch.no_grad():
            w = rw.weights(point).numpy()
        diag = weight_diagnostics(w)  # raises on non-finite weights: nothing written
        covered = check_coverage(diag, label=", ".join(f"{k}={v:g}" for k, v in point.items()))
        results.append(ReweightResult(name, point, w, diag, covered))
    if write:
        sizes = np.cumsum([c.n_events for c in sample.chunks])[:-1]
        base = sample.metadata["fragmentation_base"]
        for r in results:
            per_chunk = [ak.zip({"weight": part}) for part in np.split(r.weights, sizes)]
            sample.write_column_set(r.name, per_chunk, overwrite=overwrite, metadata={
                "kind": "lund-reweighting", "point": r.point, "base": {k: base[k] for k in r.point},
                "diagnostics": r.diagnostics.as_dict(), "covered": r.covered,
            })
    return results
