"""Malformed input: each error names the file, the line, the object and what to do."""

from __future__ import annotations

import gzip

import pytest

from mlhad.exceptions import YodaFormatError
from mlhad.yoda import read_yoda, reads_yoda

GOOD = """BEGIN YODA_SCATTER2D_V2 /REF/A/d01
Path: /REF/A/d01
Type: Scatter2D
---
# xval xerr- xerr+ yval yerr- yerr+
0.5 0.5 0.5 1.0 0.1 0.1
1.5 0.5 0.5 2.0 0.1 0.1
END YODA_SCATTER2D_V2
"""


def test_good_text_parses():
    assert reads_yoda(GOOD, "good.yoda")["/REF/A/d01"].y.tolist() == [1.0, 2.0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD.replace("END YODA_SCATTER2D_V2\n", ""),
         r"bad.yoda: object /REF/A/d01 \(type YODA_SCATTER2D_V2, begun on line 1\) has no END line; the file is truncated"),
        (GOOD.replace("1.5 0.5 0.5 2.0 0.1 0.1", "1.5 0.5 0.5 2.0 0.1"),
         r"bad.yoda, line 7 \(object /REF/A/d01, YODA_SCATTER2D_V2\): row has 5 columns, expected 6"),
        (GOOD.replace("2.0 0.1 0.1", "two 0.1 0.1"),
         r"bad.yoda, line 7 \(object /REF/A/d01, YODA_SCATTER2D_V2\): column yval: 'two' is not a number"),
        (GOOD.replace("SCATTER2D_V2", "HISTOGRAM_V2"),
         r"bad.yoda, line 1 \(YODA_HISTOGRAM_V2 /REF/A/d01\): unsupported YODA1 object type 'HISTOGRAM'.*unpatterns"),
        (GOOD.replace("END YODA_SCATTER2D_V2", "END YODA_SCATTER1D_V2"),
         r"bad.yoda, line 8: 'END YODA_SCATTER1D_V2' closes object /REF/A/d01 of type YODA_SCATTER2D_V2"),
        (GOOD.replace("END YODA_SCATTER2D_V2\n", "") + GOOD,
         r"bad.yoda, line 8: new BEGIN inside object /REF/A/d01 \(begun on line 1\)"),
        ("hello\n" + GOOD,
         r"bad.yoda, line 1: expected 'BEGIN YODA_<TYPE> <path>' to start an object, got 'hello'"),
        (GOOD + GOOD,
         r"bad.yoda, line 9: object /REF/A/d01 appears twice \(first on line 1\)"),
        (GOOD.replace("Path: /REF/A/d01", "Path: /REF/A/d02"),
         r"bad.yoda, line 2: annotation 'Path: /REF/A/d02' disagrees with the BEGIN line path '/REF/A/d01'"),
        (GOOD.replace("Type: Scatter2D", "this is not an annotation"),
         r"bad.yoda, line 3 \(object /REF/A/d01\): expected an annotation 'Key: value' or '---'"),
        (GOOD.replace("_V2", "_V4"),
         r"format version V4 is newer than this reader"),
        ("BEGIN YODA_ESTIMATE1D_V3 /A/e\n---\nEdges(A1): [0, 1]\n# value\nnan\n1\nEND YODA_ESTIMATE1D_V3\n",
         r"bad.yoda, line 6 \(object /A/e, YODA_ESTIMATE1D_V3\): 2 data rows for 3 bins .*do not match the Edges"),
        ("BEGIN YODA_HISTO1D_V3 /A/h\n---\n# sumW sumW2 sumW(A1) sumW2(A1) numEntries\n0 0 0 0 0\nEND YODA_HISTO1D_V3\n",
         r"bad.yoda, line 1 \(object /A/h, YODA_HISTO1D_V3\): no 'Edges\(A1\): \[...\]' line"),
        ("BEGIN YODA_ESTIMATE1D_V3 /A/e\n---\nEdges(A1): [0, 1]\nErrorLabels: [\"a]\nEND YODA_ESTIMATE1D_V3\n",
         r"bad.yoda, line 4 .*ErrorLabels: unterminated quoted label"),
        ("BEGIN YODA_COUNTER_V3 /c\n---\n1 1 1\n2 2 2\nEND YODA_COUNTER_V3\n",
         r"bad.yoda, line 4 \(object /c, YODA_COUNTER_V3\): a Counter has exactly one data row, found 2"),
        ("BEGIN YODA_BINNEDHISTO<S>_V3 /A/b\n---\nEND YODA_BINNEDHISTO<S>_V3\n",
         r"unsupported YODA2 object type 'BINNEDHISTO<S>'"),
        ("BEGIN YODA_HISTO1D_V2 /A/h\n---\n0 1 1 1 1 1 1\n0.5 2 1 1 1 1 1\nEND YODA_HISTO1D_V2\n",
         r"bad.yoda, line 4 \(object /A/h, YODA_HISTO1D_V2\): bin \[0.5, 2.0\] overlaps the previous bin ending at 1.0"),
    ],
    ids=["missing-end", "column-count", "non-numeric", "unknown-type", "end-mismatch", "nested-begin",
         "junk-outside", "duplicate-path", "path-mismatch", "bad-annotation", "newer-version", "row-count",
         "missing-edges", "bad-list", "counter-rows", "unsupported-v3", "overlapping-bins"],
)
def test_malformed_text(text, message):
    with pytest.raises(YodaFormatError, match=message):
        reads_yoda(text, "bad.yoda")


def test_errors_in_files_name_the_file(tmp_path):
    bad = tmp_path / "broken.yoda"
    bad.write_text(GOOD.replace("END YODA_SCATTER2D_V2\n", ""))
    with pytest.raises(YodaFormatError, match=r"broken.yoda: object /REF/A/d01 .* has no END line"):
        read_yoda(bad)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"YODA file '.*nope.yoda' does not exist"):
        read_yoda(tmp_path / "nope.yoda")
    with pytest.raises(FileNotFoundError, match="is a directory, not a file"):
        read_yoda(tmp_path)


def test_bad_gzip_and_binary(tmp_path):
    truncated = tmp_path / "cut.yoda.gz"
    truncated.write_bytes(gzip.compress(GOOD.encode())[:30])
    with pytest.raises(YodaFormatError, match=r"cut.yoda.gz: looks gzipped but cannot be decompressed"):
        read_yoda(truncated)
    binary = tmp_path / "bin.yoda"
    binary.write_bytes(GOOD.encode() + b"\n\xff\xfe\n")
    with pytest.raises(YodaFormatError, match=r"bin.yoda, line 10: not UTF-8 text"):
        read_yoda(binary)


def test_truncated_gzip_with_complete_prefix_is_still_an_error(tmp_path):
    # a file cut inside an object: gzip fails first; the decompressed text would fail on END
    data = gzip.compress((GOOD * 3).encode())
    cut = tmp_path / "cut2.yoda.gz"
    cut.write_bytes(data[: len(data) - 8])  # drop the gzip trailer (CRC, size)
    with pytest.raises(YodaFormatError, match="cannot be decompressed"):
        read_yoda(cut)


def test_bad_filter_pattern():
    with pytest.raises(YodaFormatError, match=r"patterns entry '\(' is not a valid regular expression"):
        reads_yoda(GOOD, patterns="(")
