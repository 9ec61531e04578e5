"""Professor-style weight files: syntax, matching rules, errors."""

from __future__ import annotations

import numpy as np
import pytest

from mlhad.compare import parse_weights, read_weights
from mlhad.exceptions import ConfigError, InputFileNotFoundError

TEXT = """\
# a comment line
/ALEPH_1996_S3486095/d01-x01-y01        1      # whole histogram
/ALEPH_1996_S3486095/d09-x01-y01        1
/ALEPH_1996_S3486095/d09-x01-y01#0:3    2
/ALEPH_1996_S3486095/d09-x01-y01#5      0
/ALEPH_1996_S3486095/d17-x01-y01@1.5    5
/ALEPH_1996_S3486095/d17-x01-y01@2.2:3.0  3
/DELPHI_1996_S3430090/d3[5-9]           4
"""

XLOW = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
XHIGH = XLOW + 1.0


def test_whole_histogram_and_unlisted_histograms():
    w = parse_weights(TEXT, "w.txt")
    assert len(w.rules) == 7
    assert w.point_weights("/ALEPH_1996_S3486095/d01-x01-y01", XLOW, XHIGH).tolist() == [1.0] * 7
    assert w.point_weights("/ALEPH_1996_S3486095/d02-x01-y01", XLOW, XHIGH) is None, "not listed: left out"


def test_index_ranges_and_the_last_matching_rule_wins():
    w = parse_weights(TEXT)
    # line 3 sets all to 1, line 4 points 0..2 to 2, line 5 point 5 to 0
    assert w.point_weights("/ALEPH_1996_S3486095/d09-x01-y01", XLOW, XHIGH).tolist() == [2, 2, 2, 1, 1, 0, 1]


def test_position_ranges():
    w = parse_weights(TEXT)
    # @1.5 selects [1, 2); @2.2:3.0 selects bins with high > 2.2 and low <= 3.0: [2, 3) and [3, 4);
    # points no rule covers get weight 0 (as Professor)
    assert w.point_weights("/ALEPH_1996_S3486095/d17-x01-y01", XLOW, XHIGH).tolist() == [0, 5, 3, 3, 0, 0, 0]


def test_paths_are_regular_expressions_matched_at_the_start():
    w = parse_weights(TEXT)
    assert w.point_weights("/DELPHI_1996_S3430090/d36-x01-y04", XLOW[:1], XHIGH[:1]).tolist() == [4.0]
    assert w.point_weights("/DELPHI_1996_S3430090/d40-x01-y01", XLOW[:1], XHIGH[:1]) is None
    assert [r.line for r in w.unused(["/ALEPH_1996_S3486095/d01-x01-y01"])] == [3, 4, 5, 6, 7, 8]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("/A/d01-x01-y01", r"w.txt, line 1: expected 'PATH\[#i\|#i:j\|@x\|@x1:x2\] WEIGHT'"),
        ("/A/d01-x01-y01 heavy", "w.txt, line 1: weight 'heavy' is not a number"),
        ("/A/d01-x01-y01 -1", "weight must be >= 0"),
        ("/A/d01-x01-y01#1.5 1", "point indices after '#' must be integers"),
        ("/A/d01-x01-y01@ 1", "empty range after '@'"),
        ("/A/d01-x01-y01@a:b 1", "cannot read the bin range '@a:b'"),
        ("/A/d01-x01-y01@1e:2 1", "range start '1e' is not a number"),
        ("/A/d0[1-x01 1", "is not a valid regular expression"),
        ("A/d01-x01-y01 1", "histogram paths start with '/'"),
    ],
)
def test_malformed_lines_name_the_file_and_line(line, message):
    with pytest.raises(ConfigError, match=message):
        parse_weights(line, "w.txt")


def test_reading_a_file(tmp_path):
    f = tmp_path / "weights"
    f.write_text(TEXT)
    assert read_weights(f).source == str(f)
    with pytest.raises(InputFileNotFoundError, match="weight file .*nope does not exist"):
        read_weights(tmp_path / "nope")
