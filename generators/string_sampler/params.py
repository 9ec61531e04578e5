"""Parameters of the 1+1D pion string: Pythia 8's ``string`` preset, one frozen object.

The defaults are the values Pythia 8.317 uses for the preset (Monash 2013 tune,
``Tune:ee = 7``); :meth:`StringParams.from_pythia_settings` reads them from a sample's
metadata so that the torch sampler runs at exactly the point Pythia ran.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mlhad.exceptions import ConfigError

__all__ = ["StringParams", "PION_MASS", "PI0_MASS", "PYTHIA_NAMES", "params_from_metadata"]

#: Charged and neutral pion masses (GeV), Pythia's ParticleData ``m0(211)``, ``m0(111)``.
PION_MASS = 0.13957
PI0_MASS = 0.13498

#: StringParams field -> Pythia setting it mirrors.
PYTHIA_NAMES: dict[str, str] = {
    "a_lund": "StringZ:aLund",
    "b_lund": "StringZ:bLund",
    "sigma": "StringPT:sigma",
    "enhanced_fraction": "StringPT:enhancedFraction",
    "enhanced_width": "StringPT:enhancedWidth",
    "stop_mass": "StringFragmentation:stopMass",
    "stop_new_flav": "StringFragmentation:stopNewFlav",
    "stop_smear": "StringFragmentation:stopSmear",
}


@dataclass(frozen=True)
class StringParams:
    """Physics and technical parameters of a u ubar string fragmented into pions.

    Attributes:
        energy: string invariant mass W (GeV); the string is at rest along z.
        a_lund, b_lund: Lund symmetric function f(z) ~ (1-z)^a exp(-b mT2/z) / z
            (``StringZ:aLund``, ``StringZ:bLund`` in GeV^-2). ``b_lund`` also sets the
            ordering probability of the final two hadrons, whatever the z sampler.
        sigma: ``StringPT:sigma`` (GeV); each pT component of a new q qbar pair is
            Gaussian with width sigma/sqrt(2).
        enhanced_fraction, enhanced_width: the fraction of pT draws whose width is
            multiplied by ``enhanced_width`` (``StringPT:enhancedFraction/Width``).
        stop_mass, stop_new_flav, stop_smear: the W_min stop test of
            ``StringFragmentation::energyUsedUp`` (GeV, -, -).
        constituent_mass: ``ParticleData::constituentMass`` of u and d (GeV).
        prob_pi0_diagonal: probability that a flavour-diagonal u ubar / d dbar pick
            becomes a pi0 (Pythia's ``mesonMix1`` = 0.5); eta and eta' are switched off
            in the preset, so the other picks are rejected and the flavour redrawn.
        max_tries: restarts of a whole string before it counts as stuck (NTRYJOIN).
        n_stop_mass, fac_stop_mass: after ``max_tries - n_stop_mass`` restarts the stop
            mass grows by ``fac_stop_mass`` per restart (NSTOPMASS, FACSTOPMASS).
        n_try_flav: tries to form the final hadron from the last two flavours (NTRYFLAV).
    """

    energy: float = 50.0
    a_lund: float = 0.68
    b_lund: float = 0.98
    sigma: float = 0.335
    enhanced_fraction: float = 0.01
    enhanced_width: float = 2.0
    stop_mass: float = 0.8
    stop_new_flav: float = 2.0
    stop_smear: float = 0.2
    constituent_mass: float = 0.325
    prob_pi0_diagonal: float = 0.5
    max_tries: int = 30
    n_stop_mass: int = 15
    fac_stop_mass: float = 1.05
    n_try_flav: int = 10

    def __post_init__(self) -> None:
        positive = ("energy", "b_lund", "sigma", "enhanced_width", "fac_stop_mass")
        for name in positive:
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ConfigError(
                    f"StringParams.{name} must be a positive finite number, got {value!r}"
                )
        if not 0.0 < self.a_lund < 10.0:
            raise ConfigError(
                f"StringParams.a_lund must lie in (0, 10) (Pythia's StringZ:aLund range), "
                f"got {self.a_lund!r}"
            )
        for name in ("enhanced_fraction", "stop_smear", "prob_pi0_diagonal"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"StringParams.{name} must lie in [0, 1], got {value!r}")
        if self.prob_pi0_diagonal == 0.0:
            raise ConfigError("StringParams.prob_pi0_diagonal must be > 0 (else no pi0 can form)")
        for name in ("stop_mass", "stop_new_flav", "constituent_mass"):
            if getattr(self, name) < 0:
                raise ConfigError(f"StringParams.{name} must be >= 0, got {getattr(self, name)!r}")
        min_energy = 2 * (self.stop_mass + 2 * self.constituent_mass)
        if self.energy < min_energy:
            raise ConfigError(
                f"StringParams.energy = {self.energy} GeV is below {min_energy:.2f} GeV: such a "
                "string makes at most two hadrons; use a larger energy (the preset uses 50 GeV)"
            )
        for name in ("max_tries", "n_stop_mass", "n_try_flav"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ConfigError(f"StringParams.{name} must be a positive integer, got {value!r}")

    @property
    def w2(self) -> float:
        """String invariant mass squared W^2 (GeV^2)."""
        return self.energy * self.energy

    def replace(self, **changes: Any) -> "StringParams":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "StringParams":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ConfigError(
                f"unknown StringParams fields {sorted(unknown)}; known: {sorted(known)}"
            )
        return cls(**dict(data))

    @classmethod
    def from_pythia_settings(
        cls, settings: Mapping[str, Any], *, energy: float | None = None
    ) -> "StringParams":
        """Parameters matching a Pythia configuration.

        Args:
            settings: Pythia setting name -> value, e.g. a sample's
                ``metadata["fragmentation_base"]``; names missing here keep the defaults.
            energy: string energy (GeV); ``None`` keeps the default 50 GeV.

        Example:
            >>> StringParams.from_pythia_settings({"StringZ:aLund": 0.5}).a_lund
            0.5
        """
        lowered = {str(k).lower(): v for k, v in settings.items()}
        values: dict[str, Any] = {}
        for field_name, pythia_name in PYTHIA_NAMES.items():
            if pythia_name.lower() in lowered:
                values[field_name] = float(lowered[pythia_name.lower()])
        if energy is not None:
            values["energy"] = float(energy)
        return cls(**values)


def params_from_metadata(metadata: Mapping[str, Any]) -> StringParams:
    """StringParams of a sample, from its ``mlhad-sample.json`` metadata.

    Reads ``fragmentation_base`` (Pythia's names), then the ``pythia_settings`` /
    ``config.settings`` strings ("Key = value", later ones win) and the energy.
    """
    values: dict[str, Any] = dict(metadata.get("fragmentation_base") or {})
    config = metadata.get("config") or {}
    texts = list(metadata.get("pythia_settings") or []) + list(config.get("settings") or [])
    for text in texts:
        if isinstance(text, str) and "=" in text:
            key, _, value = text.partition("=")
            values[key.strip()] = value.strip()
    generator = metadata.get("generator") or {}
    if isinstance(generator, Mapping) and "string_params" in generator:
        return StringParams.from_dict(generator["string_params"])
    energy = config.get("energy")
    return StringParams.from_pythia_settings(values, energy=None if energy is None else float(energy))
