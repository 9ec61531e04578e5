"""Reference data shipped with mlhad (LEP1 measurements in YODA format); see README.md here.

Find a file with :func:`mlhad.yoda.reference_path`; ``manifest.json`` lists checksums and
provenance.
"""

from __future__ import annotations

__all__: list[str] = []
