"""Build a configured, initialised Pythia 8 instance, failing loudly on bad settings.

Every setting is passed to ``Pythia::readString`` one at a time; a setting that Pythia
rejects (unknown name, unparsable or out-of-range value) raises PythiaSettingError
carrying Pythia's own message. ``pythia8mc`` is imported lazily so that ``import mlhad``
works without it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mlhad.config import parse_setting
from mlhad.exceptions import GenerationError, OptionalDependencyError, PythiaSettingError

from .capture import captured_stdout

__all__ = ["import_pythia", "new_pythia", "apply_settings", "init_pythia", "fragmentation_parameters"]


def import_pythia() -> Any:
    """Return the ``pythia8mc`` module or explain how to get it."""
    try:
        import pythia8mc
    except ImportError as err:  # pragma: no cover - pythia8mc is a declared dependency
        raise OptionalDependencyError(
            "event generation needs the 'pythia8mc' package (Pythia 8 Python bindings); "
            "install it with: pip install pythia8mc==8.317.2"
        ) from err
    return pythia8mc


def new_pythia() -> Any:
    """A fresh Pythia object with its start-up banner suppressed."""
    p8 = import_pythia()
    with captured_stdout():
        pythia = p8.Pythia("", False)
    return pythia


def _pythia_words(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return " ".join(lines) if lines else "(Pythia printed nothing)"


def apply_settings(pythia: Any, settings: Iterable[str], *, origin: str = "settings") -> None:
    """Pass settings to Pythia one by one; raise on the first one Pythia rejects.

    Args:
        pythia: a ``pythia8mc.Pythia`` instance (not yet initialised).
        settings: ``"Key = value"`` strings.
        origin: where the settings came from, for the error message (e.g. a file name).

    Raises:
        PythiaSettingError: with Pythia's own message, e.g. for an unknown key or an
            out-of-range value.
    """
    for text in settings:
        key, _ = parse_setting(text)
        with captured_stdout() as out:
            ok = pythia.readString(text)
        if not ok:
            raise PythiaSettingError(
                f"Pythia rejected the setting {text!r} (from {origin}): {_pythia_words(out.text)}"
                f" -- check the name and the allowed range of {key} in Pythia's manual"
            )


def init_pythia(pythia: Any) -> None:
    """Initialise Pythia, turning a failed init into a GenerationError with Pythia's log."""
    with captured_stdout() as out:
        ok = pythia.init()
    if not ok:
        raise GenerationError(f"Pythia failed to initialise: {_pythia_words(out.text)[-2000:]}")


#: Settings that define the string z and pT samplers, stored with every sample so that
#: reweighting knows the base point (names as Pythia spells them).
FRAGMENTATION_PARMS = (
    "StringZ:aLund",
    "StringZ:bLund",
    "StringZ:rFactC",
    "StringZ:rFactB",
    "StringZ:rFactH",
    "StringZ:aExtraSQuark",
    "StringZ:aExtraDiquark",
    "StringPT:sigma",
    "StringPT:enhancedFraction",
    "StringPT:enhancedWidth",
    "StringPT:widthPreStrange",
    "StringPT:widthPreQQ0",
    "StringPT:widthPreQQ1",
)
FRAGMENTATION_FLAGS = (
    "StringZ:useOldAExtra",
    "StringZ:usePetersonC",
    "StringZ:usePetersonB",
    "StringZ:usePetersonH",
    "StringZ:useNonstandardC",
    "StringZ:useNonstandardB",
    "StringZ:useNonstandardH",
    "ClosePacking:doClosePacking",
)


def fragmentation_parameters(pythia: Any) -> dict[str, Any]:
    """The base-point fragmentation parameters of an initialised Pythia, plus quark masses.

    ``mc``/``mb`` are the masses StringZ uses in the Bowler exponent (``m0`` of ids 4, 5).
    """
    settings = pythia.settings
    out: dict[str, Any] = {name: float(settings.parm(name)) for name in FRAGMENTATION_PARMS}
    out.update({name: bool(settings.flag(name)) for name in FRAGMENTATION_FLAGS})
    out["mc"] = float(pythia.particleData.m0(4))
    out["mb"] = float(pythia.particleData.m0(5))
    return out
