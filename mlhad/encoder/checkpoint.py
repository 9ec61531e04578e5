"""Save and load encoder weights: our own checkpoints, plain state dicts, Lightning files.

Our format is two files side by side::

    name.pt     torch state dict (tensors only: loads with ``weights_only=True``)
    name.json   {"format": "mlhad-encoder", "format_version": 1, "config": {...},
                 "sha256": <of name.pt>, "versions": {...}, "training": {...}}

External weights (``load_state_dict``) may be a plain state dict or a PyTorch
Lightning ``.ckpt`` (weights under ``"state_dict"``, keys prefixed by the attribute
that held the network, e.g. ``model.``, as in EveNet's published checkpoints). The key
prefix is found automatically (the one under which most keys match the model) or given
explicitly. Every tensor's shape is checked before anything is copied, and a
:class:`~mlhad.exceptions.CheckpointMismatchError` lists the missing, unexpected and
mismatched keys.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from mlhad.exceptions import CheckpointMismatchError, ModelError

from .config import EncoderConfig
from .model import PETEncoder

__all__ = [
    "CHECKPOINT_DIR",
    "DEFAULT_CHECKPOINT",
    "LoadReport",
    "available",
    "save",
    "read_state_dict",
    "load_state_dict",
    "load",
    "resolve_checkpoint",
]

CHECKPOINT_DIR = Path(__file__).resolve().parent / "checkpoints"
DEFAULT_CHECKPOINT = "pet-lep1-small"
FORMAT, FORMAT_VERSION = "mlhad-encoder", 1
_SHOW = 8  # keys listed per category in error messages


@dataclass(frozen=True)
class LoadReport:
    """What :func:`load_state_dict` did.

    Attributes:
        prefix: key prefix stripped from the checkpoint (``""`` if none).
        loaded: model keys filled from the checkpoint.
        missing: model keys the checkpoint lacks (kept at their current values).
        unexpected: checkpoint keys (after stripping) the model does not have.
    """

    prefix: str
    loaded: tuple[str, ...]
    missing: tuple[str, ...]
    unexpected: tuple[str, ...]


def available() -> list[str]:
    """Names of the checkpoints shipped with mlhad (usable as ``load(name)``)."""
    return sorted(p.stem for p in CHECKPOINT_DIR.glob("*.json"))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def save(
    model: PETEncoder, path: str | Path, *, metadata: Mapping[str, Any] | None = None, overwrite: bool = False
) -> Path:
    """Write ``path`` (state dict) and ``path.with_suffix('.json')`` (config, checksum).

    Args:
        model: the encoder to save.
        path: target ``.pt`` file; parent folders are created.
        metadata: JSON-serialisable extras stored under ``"training"`` (samples, seeds,
            losses...), so that the checkpoint documents how it was made.
        overwrite: replace existing files; otherwise an existing ``.pt`` or ``.json``
            is an error (a checkpoint is never replaced silently).

    Returns:
        The path of the ``.pt`` file.
    """
    import mlhad

    path = Path(path)
    if path.suffix != ".pt":
        raise ModelError(f"checkpoint path must end in .pt, got {str(path)!r}")
    existing = [p for p in (path, path.with_suffix(".json")) if p.exists()]
    if existing and not overwrite:
        raise ModelError(f"{existing[0]} already exists; choose another path or pass overwrite=True "
                         "(--overwrite on the command line) to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    torch.save(state, path)
    info = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "config": model.config.to_dict(),
        "n_parameters": model.n_parameters(),
        "sha256": _sha256(path),
        "versions": {"mlhad": mlhad.__version__, "torch": torch.__version__},
        "training": dict(metadata or {}),
    }
    path.with_suffix(".json").write_text(json.dumps(info, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def read_state_dict(source: str | Path | Mapping[str, Any], *, trust: bool = False) -> dict[str, torch.Tensor]:
    """Tensors of a state dict, a Lightning checkpoint or a file holding either.

    Args:
        source: a mapping or the path of a ``torch.save`` file.
        trust: allow arbitrary pickled objects in the file (``weights_only=False``).
            Only for files from a source you trust: unpickling can run code.
    """
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise ModelError(f"no checkpoint file at {str(path)!r}")
        try:
            source = torch.load(path, map_location="cpu", weights_only=not trust)
        except pickle.UnpicklingError as err:
            raise ModelError(
                f"{path} holds Python objects besides tensors and was not unpickled (safe mode). "
                "If you trust its origin, pass trust=True (unpickling can run code)."
            ) from err
    if not isinstance(source, Mapping):
        raise ModelError(f"expected a state dict (a mapping of names to tensors), got {type(source).__name__}")
    if "state_dict" in source and isinstance(source["state_dict"], Mapping):
        source = source["state_dict"]  # PyTorch Lightning
    tensors = {str(k): v for k, v in source.items() if isinstance(v, torch.Tensor)}
    if not tensors:
        raise ModelError(f"no tensors in the checkpoint (top-level keys: {sorted(map(str, source))[:_SHOW]})")
    return tensors


def _strip(state: Mapping[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    return {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}


def _best_prefix(state: Mapping[str, torch.Tensor], wanted: set[str]) -> str:
    candidates = {""}
    for key in state:
        parts = key.split(".")
        candidates.update(".".join(parts[:i]) + "." for i in range(1, len(parts)))
    # Most matching keys wins; ties go to the shortest prefix (deterministic).
    return max(sorted(candidates, key=len), key=lambda p: len(wanted & set(_strip(state, p))))


def _listing(title: str, keys: list[str]) -> str:
    shown = ", ".join(keys[:_SHOW]) + (f", ... ({len(keys)} in all)" if len(keys) > _SHOW else "")
    return f"{title}: {shown}"


def load_state_dict(
    model: PETEncoder,
    source: str | Path | Mapping[str, Any],
    *,
    strict: bool = True,
    prefix: str | None = None,
    trust: bool = False,
) -> LoadReport:
    """Copy weights into ``model`` after checking every key and shape.

    Args:
        model: the encoder to fill (its config must be the checkpoint's).
        source: state dict, Lightning checkpoint, or the path of either.
        strict: require exactly the model's keys (after the prefix is stripped). With
            ``strict=False`` missing keys keep their values and unexpected keys are
            ignored, but at least one key must match.
        prefix: key prefix to strip (e.g. ``"model."``); None finds it automatically.
        trust: see :func:`read_state_dict`.

    Raises:
        CheckpointMismatchError: shape mismatches (always), missing/unexpected keys
            (``strict``), or no matching key at all; the message lists the keys.
    """
    state = read_state_dict(source, trust=trust)
    target = model.state_dict()
    wanted = set(target)
    if prefix is None:
        prefix = _best_prefix(state, wanted)
    elif not any(k.startswith(prefix) for k in state):
        raise CheckpointMismatchError(f"no checkpoint key starts with prefix {prefix!r}; keys: {sorted(state)[:_SHOW]}")
    stripped = _strip(state, prefix)
    missing = sorted(wanted - set(stripped))
    unexpected = sorted(set(stripped) - wanted)
    mismatched = sorted(
        f"{k} (checkpoint {tuple(stripped[k].shape)}, model {tuple(target[k].shape)})"
        for k in wanted & set(stripped)
        if stripped[k].shape != target[k].shape
    )
    problems = []
    if mismatched:
        problems.append(_listing("mismatched shapes", mismatched))
    if strict and missing:
        problems.append(_listing("missing keys", missing))
    if strict and unexpected:
        problems.append(_listing("unexpected keys", unexpected))
    matched = sorted(wanted & set(stripped))
    if not matched:
        problems.append("no checkpoint key matches the model")
    if problems:
        raise CheckpointMismatchError(
            f"the checkpoint does not fit this PETEncoder (config {model.config.to_dict()}, "
            f"key prefix {prefix!r} stripped): " + "; ".join(problems) + ". Build the model with the "
            "checkpoint's config, pass prefix= if the keys are nested, or strict=False to load a subset."
        )
    model.load_state_dict({k: stripped[k] for k in matched}, strict=False)
    return LoadReport(prefix=prefix, loaded=tuple(matched), missing=tuple(missing), unexpected=tuple(unexpected))


def resolve_checkpoint(path: str | Path | None) -> Path:
    """The file of a shipped checkpoint name (default ``DEFAULT_CHECKPOINT``) or a path."""
    if path is None:
        path = DEFAULT_CHECKPOINT
    path = Path(path)
    if path.suffix == "" and not path.exists():
        shipped = CHECKPOINT_DIR / f"{path.name}.pt"
        if shipped.exists():
            return shipped
        raise ModelError(f"no checkpoint {str(path)!r}; shipped checkpoints: {available()}")
    return path


def load(
    path: str | Path | None = None,
    *,
    config: EncoderConfig | None = None,
    strict: bool = True,
    prefix: str | None = None,
    trust: bool = False,
) -> PETEncoder:
    """An encoder with loaded weights, in eval mode, on the CPU.

    Args:
        path: a shipped checkpoint's name (default ``"pet-lep1-small"``), or the path of
            a ``.pt``/``.ckpt`` file. A ``.json`` next to it supplies the config.
        config: the architecture, for files without a ``.json`` (e.g. Lightning files).
            If both exist they must agree.
        strict, prefix, trust: see :func:`load_state_dict`.

    Raises:
        ModelError: file or config missing, checksum mismatch.
        CheckpointMismatchError: the weights do not fit the config.
    """
    path = resolve_checkpoint(path)
    sidecar = path.with_suffix(".json")
    if sidecar.exists():
        info = json.loads(sidecar.read_text(encoding="utf-8"))
        if info.get("format") != FORMAT or int(info.get("format_version", -1)) > FORMAT_VERSION:
            raise ModelError(f"{sidecar} is not an mlhad-encoder checkpoint of version <= {FORMAT_VERSION}")
        stored = EncoderConfig.from_dict(info["config"])
        if config is not None and config != stored:
            raise CheckpointMismatchError(
                f"config passed ({config.to_dict()}) differs from the checkpoint's ({stored.to_dict()}); "
                "leave config=None to use the checkpoint's"
            )
        config = stored
        if path.is_file() and info.get("sha256") and _sha256(path) != info["sha256"]:
            raise ModelError(f"{path} does not match the checksum in {sidecar.name}: the file is damaged or was replaced")
    if config is None:
        raise ModelError(f"{path} has no {sidecar.name} with its config; pass config=EncoderConfig(...)")
    model = PETEncoder(config)
    load_state_dict(model, path, strict=strict, prefix=prefix, trust=trust)
    return model.eval()
