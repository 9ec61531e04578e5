"""What a sample records about how it was made: config, Pythia settings, versions."""

from __future__ import annotations

import datetime as _dt
import importlib.metadata
import platform
import sys
import tempfile
from pathlib import Path
from typing import Any

from mlhad import __version__
from mlhad.config import GeneratorConfig

from .capture import captured_stdout
from .chunk_worker import PT_VARIATION_FACTORS, configure_pythia
from .pythia_session import fragmentation_parameters

__all__ = ["package_versions", "sample_metadata"]

FORMAT_VERSION = 1


def package_versions() -> dict[str, str]:
    out = {"mlhad": __version__, "python": sys.version.split()[0], "platform": platform.platform()}
    for name in ("pythia8mc", "numpy", "awkward", "pyarrow", "torch", "scipy"):
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:  # pragma: no cover
            out[name] = "not installed"
    return out


def sample_metadata(config: GeneratorConfig) -> tuple[dict[str, Any], str]:
    """Validate the config with a real Pythia init and describe the sample to be made.

    Returns:
        ``(metadata, settings_text)``: the metadata dict and every Pythia setting as
        Pythia writes them (for ``pythia-settings.cmnd`` beside the sample).

    Raises:
        PythiaSettingError / GenerationError: on the first setting Pythia rejects or a failed init.
    """
    pythia, _, info = configure_pythia(config, seed=config.seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "settings.cmnd"
        with captured_stdout():
            pythia.settings.writeFile(str(path), True)
        settings_text = path.read_text(encoding="utf-8", errors="replace")
    meta = {
        "format": "mlhad-sample",
        "format_version": FORMAT_VERSION,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "config": config.to_dict(),
        "pythia_settings": info["settings"],
        "pythia_settings_file": "pythia-settings.cmnd",
        "fragmentation_base": fragmentation_parameters(pythia),
        "pt_variation": None if info["pt_sigmas"] is None else {
            "sigmas": list(info["pt_sigmas"]), "factors": list(PT_VARIATION_FACTORS)},
        "variations": [g for g in info["groups"] if not g.startswith("mlhad_")],
        "seeding": "chunk i uses Random:seed = SeedSequence([seed, i]) -> [1, 9e8] (mlhad.generators.chunk_worker.chunk_seed)",
        "versions": package_versions(),
    }
    return meta, settings_text
