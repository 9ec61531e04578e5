"""YODA text I/O in pure Python: read and write YODA1 and YODA2 files exactly.

What to use when:
    - :func:`read_yoda` / :func:`reads_yoda`: file or text -> ``{path: object}``.
    - :func:`write_yoda` / :func:`writes_yoda`: objects -> YODA2 (default) or YODA1 text.
    - :func:`reference_path` / :func:`read_reference`: the LEP1 reference data shipped in
      ``mlhad.rivet_data``.
    - :func:`scatter_edges`: bin edges from reference points (Scatter2D).
    - :func:`to_pyyoda` / :func:`from_pyyoda`: only if the C++ YODA module is installed.

Objects: :class:`Scatter1D`, :class:`Scatter2D`, :class:`Scatter3D`, :class:`Counter`,
:class:`Histo1D`, :class:`Histo2D`, :class:`Profile1D`, :class:`Estimate0D`,
:class:`Estimate1D`, :class:`Estimate2D`, :class:`BinnedEstimate`. They are frozen
dataclasses with read-only numpy arrays; ``==`` compares values exactly.

Format reference: the YODA library (https://yoda.hepforge.org; YODA 1.9 ``WriterYODA``
for the V2 blocks, YODA 2.x for the V3 blocks, described in the YODA 2 write-up linked
there), whose layouts this module reproduces; see docs/yoda.md.
"""

from __future__ import annotations

from mlhad.yoda._base import YodaObject, is_bookkeeping_path, strip_ref, variation_of
from mlhad.yoda.estimate import BinnedEstimate, Estimate0D, Estimate1D, Estimate2D
from mlhad.yoda.histo import Counter, Dbn1D, Dbn2D, Histo1D, Histo2D, Profile1D
from mlhad.yoda.pyyoda import from_pyyoda, import_pyyoda, to_pyyoda
from mlhad.yoda.reader import read_yoda, reads_yoda
from mlhad.yoda.reference import load_manifest, read_reference, reference_names, reference_path
from mlhad.yoda.scatter import Scatter1D, Scatter2D, Scatter3D, scatter_bins, scatter_edges
from mlhad.yoda.writer import write_yoda, writes_yoda

__all__ = [
    "YodaObject",
    "Scatter1D",
    "Scatter2D",
    "Scatter3D",
    "Counter",
    "Dbn1D",
    "Dbn2D",
    "Histo1D",
    "Histo2D",
    "Profile1D",
    "Estimate0D",
    "Estimate1D",
    "Estimate2D",
    "BinnedEstimate",
    "read_yoda",
    "reads_yoda",
    "write_yoda",
    "writes_yoda",
    "reference_path",
    "reference_names",
    "read_reference",
    "load_manifest",
    "scatter_bins",
    "scatter_edges",
    "strip_ref",
    "variation_of",
    "is_bookkeeping_path",
    "import_pyyoda",
    "to_pyyoda",
    "from_pyyoda",
]
