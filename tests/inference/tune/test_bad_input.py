"""`mlhad tune` on bad input: one clear line naming the file, line, histogram or parameter, before any run."""

from __future__ import annotations

import numpy as np
import pytest

from mlhad.cli.main import main
from mlhad.yoda import read_reference, reference_path, write_yoda

ALEPH = str(reference_path("ALEPH_1996_S3486095"))


def tune_cli(tmp_path, capsys, *args: str) -> tuple[int, str, str]:
    code = main(["tune", "--out", str(tmp_path / "out"), "--no-progress", "--no-plots", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_nothing_generated(tmp_path):
    assert not (tmp_path / "out" / "runs").exists(), "bad input must be caught before any generator run"


def test_parameter_that_cannot_be_reweighted(tmp_path, capsys):
    code, _, err = tune_cli(tmp_path, capsys, "--data", ALEPH, "--params", "aLund,StringFlav:probStoUD")
    assert code == 1
    assert "parameter 'StringFlav:probStoUD' cannot be reweighted: flavour parameters" in err
    assert "--method optuna or --method surrogate" in err
    assert_nothing_generated(tmp_path)


def test_limits_that_exclude_the_start(tmp_path, capsys):
    limits = tmp_path / "limits.txt"
    limits.write_text("# tune ranges\nStringZ:aLund 0.7 1.0\n")
    code, _, err = tune_cli(tmp_path, capsys, "--data", ALEPH, "--params", "aLund", "--limits", str(limits))
    assert code == 1
    assert f"the limits exclude the start: StringZ:aLund = 0.68 is outside [0.7, 1] ({limits}, line 2)" in err
    assert_nothing_generated(tmp_path)


def test_malformed_limits_file(tmp_path, capsys):
    limits = tmp_path / "limits.txt"
    limits.write_text("StringZ:aLund 0.3\nStringZ:bLund 0.5 1.5 2.5\n")
    code, _, err = tune_cli(tmp_path, capsys, "--data", ALEPH, "--params", "bLund", "--limits", str(limits))
    assert code == 1 and f"{limits}, line 2: expected 'NAME LOW HIGH'" in err


def zero_error_data(tmp_path):
    """ALEPH d18 with point 3 given zero error."""
    ref = read_reference("ALEPH_1996_S3486095")
    d18 = ref["/REF/ALEPH_1996_S3486095/d18-x01-y01"]
    err = np.array(d18.yerr_minus)
    err[3] = 0.0
    from dataclasses import replace

    path = tmp_path / "zero.yoda"
    write_yoda(path, [replace(d18, yerr_minus=err, yerr_plus=err)], version=1)
    return str(path)


def test_zero_error_points_fail_without_the_filter(tmp_path, capsys):
    code, _, err = tune_cli(tmp_path, capsys, "--data", zero_error_data(tmp_path), "--params", "aLund", "--no-filter")
    assert code == 1
    assert "/ALEPH_1996_S3486095/d18-x01-y01 has 1 point(s) with zero data error (points [3])" in err
    assert "--filter" in err


def test_zero_error_points_are_filtered_with_a_message(tmp_path, capsys):
    limits = tmp_path / "limits.txt"        # stops the tune right after the data are read (start excluded)
    limits.write_text("StringZ:aLund 0.7 1.0\n")
    code, out, err = tune_cli(tmp_path, capsys, "--data", zero_error_data(tmp_path), "--params", "aLund",
                              "--limits", str(limits))
    assert "note: /ALEPH_1996_S3486095/d18-x01-y01: filtered 1 point(s) with zero data error (points [3])" in out
    assert "fitting 25 points of 1 histograms" in out
    assert code == 1 and "limits exclude the start" in err


def test_no_overlap_between_data_and_mc(tmp_path, capsys):
    ref = read_reference("ALEPH_1996_S3486095")
    path = tmp_path / "unfilled.yoda"       # d13 is never filled by Rivet's analysis: no MC counterpart
    write_yoda(path, [ref["/REF/ALEPH_1996_S3486095/d13-x01-y01"]], version=1)
    code, _, err = tune_cli(tmp_path, capsys, "--data", str(path), "--params", "aLund")
    assert code == 1 and "no data point to fit: none of the 1 histograms" in err


def test_data_of_an_unknown_analysis(tmp_path, capsys):
    from mlhad.yoda import Scatter2D

    path = tmp_path / "other.yoda"
    write_yoda(path, [Scatter2D(path="/REF/MY_2024_I1/d01-x01-y01", x=[0.5], xerr_minus=[0.5], xerr_plus=[0.5],
                                y=[1.0], yerr_minus=[0.1], yerr_plus=[0.1])], version=1)
    code, _, err = tune_cli(tmp_path, capsys, "--data", str(path), "--params", "aLund")
    assert code == 1 and "none of the analyses" in err and "is in mlhad's registry" in err


@pytest.mark.parametrize(("args", "message"), [
    (["--method", "optuna", "--base", "runs/monash"], "--base is used by the gradient method only"),
    (["--events", "0"], "n_events must be a positive integer, got 0"),
    (["--weights", "/nonexistent/w.txt"], "weight file /nonexistent/w.txt does not exist"),
    (["--start", "aLund"], "cannot read --start 'aLund'"),
    (["--method", "surrogate", "--walk-events", "5000"], "--walk-events is used by the gradient method only"),
    (["--events", "10000", "--walk-events", "20000"], "walk_events = 20000 exceeds the events per run (10000)"),
    (["--walk-events", "-1"], "walk_events must be a positive integer, got -1"),
    (["--method", "surrogate", "--ratio-test", "paired"], "--ratio-test is used by the gradient method only"),
])
def test_bad_options(tmp_path, capsys, args, message):
    code, _, err = tune_cli(tmp_path, capsys, "--data", ALEPH, "--params", "aLund", *args)
    assert code == 1 and message in err
