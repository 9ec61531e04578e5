"""Generator presets: named, documented starting points for Pythia 8.

``lep1``
    e+e- -> gamma*/Z -> q qbar (q = u, d, s, c, b) at sqrt(s) = 91.2 GeV with the
    Monash 2013 tune (Pythia's default, set explicitly) and no initial-state
    radiation (``PDF:lepton = off``: the beams carry their full energy, as the
    LEP1 measurements are corrected to no ISR).

    Decays are Pythia's standard ones with ``ParticleDecays:limitTau0 = off``: every
    hadron that Pythia may decay is decayed, K0S, Lambda, Sigma, Xi and Omega
    included; pi+-, K+-, K0L, p, n and muons are stable. This is the convention of
    Rivet's LEP1 analyses (ALEPH_1996_S3486095, DELPHI_1996_S3430090): charged
    final-state particles with the usual long-lived particles (K0S, Lambda, ...)
    decayed; their identified-hadron spectra (pi0, eta, K0, Lambda, Xi, ...) read the
    decayed hadrons from the record (Rivet's UnstableParticles), which mlhad stores
    with status 2.

``string``
    A single u ubar string at rest, stretched along z, of energy ``energy`` (GeV;
    default 50), hadronized with the string model only: the MLHAD papers' toy.
    Pions only (no strangeness, no diquarks, no vector mesons, no eta/eta'),
    hadron decays off. Fast, clean, and the reference for the torch chain sampler.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlhad.exceptions import ConfigError

__all__ = ["Preset", "PRESETS", "get_preset"]

_QUIET = (
    "Print:quiet = on",
    "Next:numberCount = 0",
    "Next:numberShowInfo = 0",
    "Next:numberShowProcess = 0",
    "Next:numberShowEvent = 0",
    "Check:abortIfVeto = off",
)


@dataclass(frozen=True)
class Preset:
    """A named set of Pythia settings.

    Attributes:
        name: lowercase identifier used on the command line.
        description: one line for ``--help`` and summaries.
        kind: ``"ee"`` (Pythia generates the hard process) or ``"string"`` (mlhad
            places a q qbar pair in the event record and Pythia hadronizes it).
        default_energy: centre-of-mass (or string) energy in GeV.
        settings: Pythia settings; ``{energy}`` is replaced by the energy.
        string_ends: PDG ids of the string's end partons (``kind == "string"``).
    """

    name: str
    description: str
    kind: str
    default_energy: float
    settings: tuple[str, ...]
    string_ends: tuple[int, int] = (2, -2)

    def pythia_settings(self, energy: float | None = None) -> list[str]:
        e = self.default_energy if energy is None else float(energy)
        return [s.format(energy=repr(e)) for s in (*_QUIET, *self.settings)]


PRESETS: dict[str, Preset] = {
    "lep1": Preset(
        name="lep1",
        description="e+e- -> gamma*/Z -> q qbar (udscb) at 91.2 GeV, Monash tune, no ISR, standard decays",
        kind="ee",
        default_energy=91.2,
        settings=(
            "Tune:ee = 7",
            "Beams:idA = 11",
            "Beams:idB = -11",
            "Beams:eCM = {energy}",
            "PDF:lepton = off",
            "WeakSingleBoson:ffbar2gmZ = on",
            "23:onMode = off",
            "23:onIfAny = 1 2 3 4 5",
            "ParticleDecays:limitTau0 = off",
        ),
    ),
    "string": Preset(
        name="string",
        description="single u ubar string (MLHAD toy): pions only, decays off",
        kind="string",
        default_energy=50.0,
        settings=(
            "Tune:ee = 7",
            "ProcessLevel:all = off",
            "HadronLevel:Decay = off",
            "StringFlav:probStoUD = 0",
            "StringFlav:probQQtoQ = 0",
            "StringFlav:mesonUDvector = 0",
            "StringFlav:etaSup = 0",
            "StringFlav:etaPrimeSup = 0",
        ),
        string_ends=(2, -2),
    ),
}


def get_preset(name: str) -> Preset:
    """Return the preset called ``name`` or raise a ConfigError listing the known ones."""
    try:
        return PRESETS[name.lower()]
    except KeyError:
        raise ConfigError(
            f"unknown preset {name!r}; known presets: {', '.join(sorted(PRESETS))}"
        ) from None
