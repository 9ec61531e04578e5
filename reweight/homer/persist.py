"""Save and load a fitted HOMER run: torch state dicts plus JSON configs.

Layout of a run directory::

    homer.json    format, version, HomerConfig, mode, sources, diagnostics, package versions
    step1.pt      classifier state dict (unbinned) or the maximum-entropy parameters (binned)
    step1.json    what is needed to rebuild step 1 (features, calibration, normalisation / histograms)
    step2.pt      single-break network state dict
    step2.json    its config, the simulation's fragmentation parameters, feature scaling, history

State dicts hold tensors only and load with ``torch.load(..., weights_only=True)``.
"""

from __future__ import annotations

import json
import platform
from pathlib import Path
from typing import Any

import numpy as np
import torch

from mlhad.exceptions import CheckpointMismatchError, InputFileNotFoundError, ModelError, OutputExistsError
from mlhad.reweight.base import FragmentationBase

from .binned_fit import BinnedFit
from .binned_targets import BinnedTarget
from .breakweight import BreakWeightNet
from .calibration import Platt
from .classifier import ClassifierFit, EventClassifier
from .config import BreakWeightConfig, HomerConfig
from .step2 import BreakWeightFit
from .training import TrainingHistory

__all__ = ["save_homer", "load_homer", "FORMAT", "FORMAT_VERSION"]

FORMAT, FORMAT_VERSION = "mlhad-homer", 1


def _json_default(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (np.floating, np.integer, np.bool_)):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=1, default=_json_default), encoding="utf-8")


def _versions() -> dict[str, str]:
    import mlhad

    return {"mlhad": mlhad.__version__, "torch": torch.__version__, "numpy": np.__version__,
            "python": platform.python_version()}


def save_homer(homer: Any, directory: str | Path, *, overwrite: bool = False) -> Path:
    """Write a fitted :class:`~mlhad.reweight.homer.pipeline.Homer` (see the module docstring)."""
    homer._require_fitted()
    out = Path(directory)
    if (out / "homer.json").exists() and not overwrite:
        raise OutputExistsError(f"{out} already holds a HOMER run (homer.json); pass overwrite=True or choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    if homer.mode == "unbinned":
        clf = homer.classifier
        torch.save(clf.model.state_dict(), out / "step1.pt")
        _write_json(out / "step1.json", {
            "kind": "classifier", "n_features": int(clf.model.standardise.shift.numel()),
            "hidden": list(homer.config.step1.hidden), "platt": [clf.platt.slope, clf.platt.offset],
            "log_norm": clf.log_norm, "history": clf.history.to_dict()})
    else:
        fit = homer.binned_fit
        torch.save({f"theta.{i}": torch.as_tensor(th) for i, th in enumerate(fit.theta)}, out / "step1.pt")
        _write_json(out / "step1.json", {
            "kind": "binned", "log_norm": fit.log_norm, "chi2_before": fit.chi2_before, "chi2_after": fit.chi2_after,
            "n_points": fit.n_points, "ridge": fit.ridge,
            "targets": [{"path": t.path, "edges": t.edges, "points": t.points, "values": t.values,
                         "errors": t.errors} for t in homer.targets]})
    model = homer.break_fit.model
    torch.save(model.state_dict(), out / "step2.pt")
    _write_json(out / "step2.json", model.describe() | {"history": homer.break_fit.history.to_dict()})
    _write_json(out / "homer.json", {
        "format": FORMAT, "format_version": FORMAT_VERSION, "config": homer.config.to_dict(), "mode": homer.mode,
        "sources": homer.sources, "diagnostics": homer.diagnostics, "versions": _versions()})
    return out


def _read_json(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise InputFileNotFoundError(f"{path} does not exist: not a complete HOMER run directory (see Homer.save)")
    return json.loads(path.read_text(encoding="utf-8"))


def _state(path: Path) -> dict[str, torch.Tensor]:
    if not path.exists():
        raise InputFileNotFoundError(f"{path} does not exist: not a complete HOMER run directory (see Homer.save)")
    return torch.load(path, map_location="cpu", weights_only=True)


def _load_into(module: torch.nn.Module, state: dict[str, torch.Tensor], what: str) -> None:
    try:
        module.load_state_dict(state)
    except RuntimeError as err:
        raise CheckpointMismatchError(f"{what} does not fit its saved config: {err}") from err


def load_homer(directory: str | Path, *, progress: bool = True) -> Any:
    """Rebuild a fitted Homer from :func:`save_homer`'s directory."""
    from mlhad.registry import lookup

    from .pipeline import Homer

    root = Path(directory)
    info = _read_json(root / "homer.json")
    if info.get("format") != FORMAT or int(info.get("format_version", -1)) > FORMAT_VERSION:
        raise ModelError(f"{root / 'homer.json'} is not a HOMER run of format version <= {FORMAT_VERSION}")
    homer = Homer(HomerConfig.from_dict(info["config"]), progress=progress)
    homer.mode = info["mode"]
    homer.sources = info.get("sources", {})
    homer.diagnostics = info.get("diagnostics", {})
    s1 = _read_json(root / "step1.json")
    state1 = _state(root / "step1.pt")
    if s1["kind"] == "classifier":
        n = int(s1["n_features"])
        model = EventClassifier(np.zeros(n), np.ones(n), tuple(s1["hidden"]))
        _load_into(model, state1, f"{root / 'step1.pt'}")
        model.eval()
        homer.classifier = ClassifierFit(model=model, platt=Platt(*s1["platt"]),
                                         history=TrainingHistory(**s1["history"]), log_norm=float(s1["log_norm"]))
    else:
        homer.targets = [BinnedTarget(entry=lookup(t["path"]), edges=np.asarray(t["edges"]),
                                      points=np.asarray(t["points"], dtype=np.int64), values=np.asarray(t["values"]),
                                      errors=np.asarray(t["errors"])) for t in s1["targets"]]
        homer.binned_fit = BinnedFit(theta=[state1[f"theta.{i}"].numpy() for i in range(len(homer.targets))],
                                     log_norm=float(s1["log_norm"]), chi2_before=s1["chi2_before"],
                                     chi2_after=s1["chi2_after"], n_points=s1["n_points"],
                                     paths=[t.path for t in homer.targets], ridge=s1["ridge"])
    s2 = _read_json(root / "step2.json")
    cfg = dict(s2["config"])
    cfg["hidden"] = tuple(cfg["hidden"])
    base = FragmentationBase(**s2["base"])
    net = BreakWeightNet(BreakWeightConfig(**cfg), np.asarray(s2["shift"]), np.asarray(s2["scale"]), base)
    _load_into(net, _state(root / "step2.pt"), f"{root / 'step2.pt'}")
    net.eval()
    homer.base = base
    homer.break_fit = BreakWeightFit(model=net, history=TrainingHistory(**s2["history"]))
    return homer
