"""Frozen, validated configuration objects, loaded once and passed down explicitly.

Every output of mlhad stores the config that produced it (``to_dict``) next to the
package versions and the seed, so that any sample or tune can be reproduced.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

from mlhad.exceptions import ConfigError

__all__ = ["GeneratorConfig", "parse_setting", "PYTHIA_SEED_MAX"]

#: Pythia's Random:seed accepts 0..900_000_000 (0 means "from the clock": never used here).
PYTHIA_SEED_MAX = 900_000_000

_SETTING = re.compile(r"^\s*([A-Za-z0-9_:.\-]+)\s*=\s*(.+?)\s*$")


def parse_setting(text: str) -> tuple[str, str]:
    """Split ``"StringZ:aLund = 0.6"`` into ``("StringZ:aLund", "0.6")``.

    Raises:
        ConfigError: if the text is not of the form ``Key = value``.
    """
    match = _SETTING.match(text)
    if not match:
        raise ConfigError(
            f"cannot read the Pythia setting {text!r}: expected 'Key = value', "
            "e.g. 'StringZ:aLund = 0.6' (or StringZ:aLund=0.6 on the command line)"
        )
    return match.group(1), match.group(2)


@dataclass(frozen=True)
class GeneratorConfig:
    """What to generate: a preset, overrides, sizes and the seed.

    Attributes:
        preset: name of a generator preset (``"lep1"`` or ``"string"``, see
            :mod:`mlhad.generators.presets`).
        n_events: number of events to generate (> 0).
        seed: master seed; chunk ``i`` is generated with a seed derived from
            ``(seed, i)`` so the output does not depend on the number of workers.
        settings: Pythia settings applied after the preset, as ``"Key = value"``
            strings, in order (``--set`` options and .cmnd files).
        energy: centre-of-mass energy in GeV (``None``: the preset's default).
        history: record fragmentation histories (every string break).
        history_detail: ``"lean"`` (what reweighting needs), ``"full"`` (also the
            string-end state: Gamma, light-cone fractions, old pT) or ``"trials"`` (full,
            plus Pythia's record of every accept/reject trial of the z sampler, for
            per-event comparison with Pythia's own weights; switches on
            ``VariationFrag:z``, which makes z sampling slower).
        history_backend: ``"auto"`` (compiled recorder if it can be built, else the
            Python hook), ``"native"`` or ``"python"``. Both record the same histories.
        variations: in-situ ``VariationFrag:List`` groups, e.g.
            ``("alund06 frag:aLund=0.6",)``; their weights are stored per event.
        chunk_size: events per chunk file (the unit of resume and of parallelism).
    """

    preset: str = "lep1"
    n_events: int = 10_000
    seed: int = 1
    settings: tuple[str, ...] = ()
    energy: float | None = None
    history: bool = True
    history_detail: str = "lean"
    history_backend: str = "auto"
    variations: tuple[str, ...] = ()
    chunk_size: int = 5_000
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.n_events, int) or isinstance(self.n_events, bool) or self.n_events <= 0:
            raise ConfigError(
                f"n_events must be a positive integer, got {self.n_events!r}; "
                "ask for at least one event (e.g. --events 1000)"
            )
        if not isinstance(self.chunk_size, int) or self.chunk_size <= 0:
            raise ConfigError(f"chunk_size must be a positive integer, got {self.chunk_size!r}")
        if not isinstance(self.seed, int) or not 1 <= self.seed <= PYTHIA_SEED_MAX:
            raise ConfigError(
                f"seed must be an integer in [1, {PYTHIA_SEED_MAX}], got {self.seed!r}"
            )
        if self.energy is not None and not (self.energy > 0):
            raise ConfigError(f"energy must be positive (GeV), got {self.energy!r}")
        if self.history_detail not in ("lean", "full", "trials"):
            raise ConfigError(
                f"history_detail must be 'lean', 'full' or 'trials', got {self.history_detail!r}"
            )
        if self.history_backend not in ("auto", "native", "python"):
            raise ConfigError(
                f"history_backend must be 'auto', 'native' or 'python', got {self.history_backend!r}"
            )
        object.__setattr__(self, "settings", tuple(self.settings))
        object.__setattr__(self, "variations", tuple(self.variations))
        for text in self.settings:
            parse_setting(text)
        for group in self.variations:
            parts = group.split()
            if len(parts) < 2 or any("=" not in p for p in parts[1:]):
                raise ConfigError(
                    f"cannot read the variation {group!r}: expected "
                    "'name frag:param=value [frag:param=value ...]', e.g. 'a06 frag:aLund=0.6'"
                )

    @property
    def n_chunks(self) -> int:
        return -(-self.n_events // self.chunk_size)

    def chunk_events(self, index: int) -> int:
        """Number of events in chunk ``index``."""
        if not 0 <= index < self.n_chunks:
            raise IndexError(f"chunk {index} outside 0..{self.n_chunks - 1}")
        return min(self.chunk_size, self.n_events - index * self.chunk_size)

    def replace(self, **changes: Any) -> "GeneratorConfig":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["settings"] = list(self.settings)
        out["variations"] = list(self.variations)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "GeneratorConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"unknown GeneratorConfig fields {sorted(unknown)}; known: {sorted(known)}")
        return cls(**data)
