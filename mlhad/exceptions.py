"""All domain errors of mlhad, in one place.

Each error also subclasses the matching builtin (ValueError, FileNotFoundError, ...)
so that a caller's generic ``except ValueError`` still catches it. Messages say what
was wrong, show the value received and say how to fix it.
"""

from __future__ import annotations

__all__ = [
    "MlhadError",
    "ConfigError",
    "PythiaSettingError",
    "GenerationError",
    "SampleError",
    "SampleExistsError",
    "SampleNotFoundError",
    "CorruptChunkError",
    "MissingColumnError",
    "YodaFormatError",
    "BinningMismatchError",
    "RegistryError",
    "HistogramError",
    "ReweightError",
    "CoverageWarning",
    "TuneError",
    "ModelError",
    "CheckpointMismatchError",
    "InferenceError",
    "OptionalDependencyError",
    "InputFileNotFoundError",
    "OutputExistsError",
]


class MlhadError(Exception):
    """Base class of every error raised on purpose by mlhad."""


class ConfigError(MlhadError, ValueError):
    """A configuration value is invalid (names the field, the value and the fix)."""


class PythiaSettingError(ConfigError):
    """Pythia rejected or changed a setting; the message carries Pythia's own words."""


class GenerationError(MlhadError, RuntimeError):
    """Event generation failed (Pythia init or too many failed events)."""


class InputFileNotFoundError(MlhadError, FileNotFoundError):
    """An input file (YODA, weights, limits, checkpoint...) does not exist."""


class OutputExistsError(MlhadError, FileExistsError):
    """An output file exists and overwriting was not asked for."""


class SampleError(MlhadError, ValueError):
    """A sample directory is unusable; the message names the path."""


class SampleExistsError(SampleError, FileExistsError):
    """The output already holds a sample and neither resume nor overwrite was asked."""


class SampleNotFoundError(SampleError, FileNotFoundError):
    """No sample at the given path."""


class CorruptChunkError(SampleError):
    """A finished chunk fails its size or checksum test, or cannot be parsed."""


class MissingColumnError(SampleError, KeyError):
    """A requested column is not in the sample (e.g. histories were not recorded)."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


class YodaFormatError(MlhadError, ValueError):
    """Malformed YODA text; the message names the file and the line number."""


class BinningMismatchError(MlhadError, ValueError):
    """Data and MC histograms disagree in their binning."""


class RegistryError(MlhadError, KeyError):
    """An observable or reference histogram is unknown to the registry."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class HistogramError(MlhadError, ValueError):
    """Bad histogram input: empty sample, non-finite weights, wrong shapes."""


class ReweightError(MlhadError, ValueError):
    """A reweighting request cannot be honoured (unknown or non-reweightable parameter...)."""


class CoverageWarning(UserWarning):
    """The target parameters lie where the base sample has little statistical coverage."""


class TuneError(MlhadError, ValueError):
    """A tune cannot run as asked (limits exclude the start, no overlapping bins...)."""


class ModelError(MlhadError, ValueError):
    """A machine-learning model got input it cannot handle (empty events, NaNs...)."""


class CheckpointMismatchError(ModelError):
    """A checkpoint or state dict does not fit the model's architecture/config."""


class InferenceError(MlhadError, ValueError):
    """An inference request is ill-posed (too few simulations, bad prior...)."""


class OptionalDependencyError(MlhadError, ImportError):
    """An optional package is needed for this feature; the message says how to install it."""
