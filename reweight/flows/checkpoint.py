"""Save and load a BreakFlow: a torch state dict plus its FlowConfig as JSON.

    runs/flow/
      flow.json    {"format": "mlhad-break-flow", "version": 1, "config": {...},
                    "metadata": {training provenance, package versions, ...}}
      model.pt     torch.save(flow.state_dict())   (tensors only: loaded weights_only)

The config in ``flow.json`` rebuilds the architecture before the weights are loaded;
a state dict that does not fit, or a requested config that differs from the saved one,
raises CheckpointMismatchError naming the differing keys.
"""

from __future__ import annotations

import json
import platform
from pathlib import Path
from typing import Any

import torch

from mlhad.exceptions import CheckpointMismatchError, ConfigError, ModelError

from .config import FlowConfig
from .model import BreakFlow

__all__ = ["save_flow", "load_flow", "read_flow_info", "package_versions", "FORMAT", "VERSION"]

FORMAT = "mlhad-break-flow"
VERSION = 1


def package_versions() -> dict[str, str]:
    """Versions of the packages a flow depends on, stored with every output."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("mlhad", "torch", "nflows", "numpy", "awkward"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:  # pragma: no cover - all are dependencies
            out[name] = "unknown"
    return out


def save_flow(flow: BreakFlow, path: str | Path, *, metadata: dict[str, Any] | None = None) -> Path:
    """Write ``flow`` to the directory ``path`` (created if needed); returns the path."""
    if not isinstance(flow, BreakFlow):
        raise ModelError(f"save_flow expects a BreakFlow, got {type(flow).__name__}")
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    torch.save(flow.state_dict(), out / "model.pt.tmp")
    (out / "model.pt.tmp").replace(out / "model.pt")
    doc = {"format": FORMAT, "version": VERSION, "config": flow.config.to_dict(),
           "metadata": {"versions": package_versions(), **(metadata or {})}}
    (out / "flow.json.tmp").write_text(json.dumps(doc, indent=1, sort_keys=True, default=str))
    (out / "flow.json.tmp").replace(out / "flow.json")
    return out


def read_flow_info(path: str | Path) -> dict[str, Any]:
    """The parsed ``flow.json`` of a saved flow (config and metadata)."""
    root = Path(path)
    meta_path = root / "flow.json"
    if not meta_path.is_file() or not (root / "model.pt").is_file():
        raise ModelError(
            f"no saved flow at {root}: expected flow.json and model.pt written by save_flow "
            "(mlhad flow train --out DIR)"
        )
    try:
        doc = json.loads(meta_path.read_text())
    except json.JSONDecodeError as err:
        raise ModelError(f"{meta_path} is not valid JSON ({err}); re-save the flow") from err
    if doc.get("format") != FORMAT or doc.get("version") != VERSION:
        raise ModelError(
            f"{meta_path} has format {doc.get('format')!r} version {doc.get('version')!r}; "
            f"this mlhad reads {FORMAT!r} version {VERSION}"
        )
    return doc


def load_flow(path: str | Path, *, config: FlowConfig | None = None) -> BreakFlow:
    """Rebuild a saved flow.

    Args:
        path: directory written by :func:`save_flow`.
        config: the architecture the caller expects; if given and different from the
            saved one, loading fails instead of silently building another model.

    Raises:
        ModelError: missing or unreadable files.
        CheckpointMismatchError: the saved config differs from ``config`` or the state
            dict does not fit the saved config (message names the differing keys).
    """
    doc = read_flow_info(path)
    # Flows saved before FlowConfig.pt_model existed all have the 2D (px, py) pT flow.
    config_doc = {"pt_model": "xy", **doc["config"]} if isinstance(doc.get("config"), dict) else doc.get("config")
    try:
        saved = FlowConfig.from_dict(config_doc)
    except (ConfigError, TypeError) as err:
        raise CheckpointMismatchError(f"the config saved in {path} is not a valid FlowConfig: {err}") from err
    if config is not None and config != saved:
        want, have = config.to_dict(), saved.to_dict()
        diff = {k: (have[k], want[k]) for k in have if have[k] != want[k]}
        raise CheckpointMismatchError(
            f"the flow saved in {path} was built with a different FlowConfig; differing keys "
            f"(saved, requested): {diff}. Load without config= to use the saved architecture"
        )
    flow = BreakFlow(saved)
    state = torch.load(Path(path) / "model.pt", map_location="cpu", weights_only=True)
    flow.load_state_dict(state)
    flow.eval()
    return flow

