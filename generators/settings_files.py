"""Read Pythia settings from the command line (``Key=value``) and .cmnd files."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from mlhad.config import parse_setting
from mlhad.exceptions import ConfigError

__all__ = ["read_cmnd", "setting_from_cli", "collect_settings"]


def setting_from_cli(text: str) -> str:
    """``"StringZ:aLund=0.6"`` -> ``"StringZ:aLund = 0.6"`` (validated form)."""
    key, value = parse_setting(text)
    return f"{key} = {value}"


def read_cmnd(path: str | Path) -> list[str]:
    """Settings of a Pythia .cmnd file, in order.

    Blank lines and comment lines (starting with ``!``, ``#`` or ``//``) are skipped, as
    are trailing ``!`` comments. Any other line must read ``Key = value``.

    Raises:
        ConfigError: naming the file and line of the first unreadable line.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"cannot read settings file {path}: {err.strerror}") from err
    out = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("!", 1)[0].strip()
        if not line or line.startswith(("#", "//")):
            continue
        try:
            out.append(setting_from_cli(line))
        except ConfigError as err:
            raise ConfigError(f"{path}, line {number}: {err}") from None
    return out


def collect_settings(cmnd_files: Iterable[str | Path] = (), cli: Iterable[str] = ()) -> tuple[str, ...]:
    """Settings from .cmnd files first, then ``--set`` options (later ones win in Pythia)."""
    settings: list[str] = []
    for path in cmnd_files:
        settings += read_cmnd(path)
    settings += [setting_from_cli(text) for text in cli]
    return tuple(settings)
