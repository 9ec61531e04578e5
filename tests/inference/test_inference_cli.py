"""``mlhad sbi`` and ``mlhad diagnose``: bad input gives one clear line and exit status 1."""

from __future__ import annotations

import pytest

from mlhad.cli.main import main

DATA = "rivet_data/ALEPH_1996_S3486095.yoda"


def _error(capsys, argv) -> str:
    assert main(argv) == 1
    return capsys.readouterr().err


def test_sbi_prior_outside_pythias_range(capsys, tmp_path):
    err = _error(capsys, ["sbi", "--data", DATA, "--base", "nowhere", "--params", "aLund=0.5:2.5",
                          "--out", str(tmp_path / "o")])
    assert "mlhad sbi: error: bad parameter limits: StringZ:aLund: limits [0.5, 2.5] reach outside Pythia's" in err


def test_sbi_needs_exactly_one_way_to_give_parameters(capsys, tmp_path):
    err = _error(capsys, ["sbi", "--data", DATA, "--base", "nowhere", "--out", str(tmp_path / "o")])
    assert "give the parameters either with --params NAME=LOW:HIGH" in err


def test_sbi_unknown_estimator_is_an_argparse_error(capsys, tmp_path):
    with pytest.raises(SystemExit):
        main(["sbi", "--data", DATA, "--params", "aLund=0.5:0.9", "--estimator", "abc", "--out", str(tmp_path)])
    assert "invalid choice: 'abc'" in capsys.readouterr().err


def test_diagnose_missing_base(capsys, tmp_path):
    err = _error(capsys, ["diagnose", "--data", DATA, "--base", str(tmp_path / "missing"), "--out",
                          str(tmp_path / "o")])
    assert "mlhad diagnose: error:" in err and "missing" in err


@pytest.mark.pythia
def test_sbi_too_few_simulations(capsys, small_base, tmp_path):
    sample = small_base[0]
    err = _error(capsys, ["sbi", "--data", DATA, "--base", str(sample.path), "--params", "aLund=0.6:0.75",
                          "--simulations", "100", "--out", str(tmp_path / "o"), "--no-progress"])
    assert "100 simulations are too few for NPE: it needs at least 500" in err


@pytest.mark.pythia
def test_sbi_prior_outside_the_base_coverage(capsys, small_base, tmp_path):
    sample = small_base[0]
    err = _error(capsys, ["sbi", "--data", DATA, "--base", str(sample.path), "--params", "aLund=0.3:1.5",
                          "--out", str(tmp_path / "o"), "--no-progress"])
    assert "the prior box reaches outside what" in err and "use limits the sample covers" in err


@pytest.mark.pythia
def test_data_without_known_objects(capsys, small_base, tmp_path):
    from mlhad.yoda import Scatter2D, write_yoda

    path = tmp_path / "unknown.yoda"
    write_yoda(path, [Scatter2D(path="/REF/MY_2024_I000001/d01-x01-y01", x=[0.5], xerr_minus=[0.5],
                                xerr_plus=[0.5], y=[1.0], yerr_minus=[0.1], yerr_plus=[0.1])], version=1)
    err = _error(capsys, ["diagnose", "--data", str(path), "--base", str(small_base[0].path), "--out",
                          str(tmp_path / "o"), "--no-progress"])
    assert "none of the analyses" in err and "MY_2024_I000001" in err and "is in mlhad's registry" in err


def test_demo_rejects_a_bad_event_count_before_writing(capsys, tmp_path):
    err = _error(capsys, ["demo", "--events", "0", "--out", str(tmp_path / "demo"), "--no-progress"])
    assert "mlhad demo: error: n_events must be a positive integer, got 0" in err
    assert not (tmp_path / "demo").exists(), "bad input must be caught before anything is written"


def test_demo_selection_is_an_argparse_choice_of_the_built_in_selections(capsys, tmp_path):
    import argparse

    from mlhad.cli import cmd_demo
    from mlhad.inference.tune.aleph import SELECTIONS

    parser = argparse.ArgumentParser()
    cmd_demo.register(parser)
    action = next(a for a in parser._actions if a.dest == "selection")
    assert set(action.choices) == set(SELECTIONS) and action.default == "global"
    with pytest.raises(SystemExit):
        main(["demo", "--selection", "soft", "--out", str(tmp_path / "demo"), "--no-progress"])
    assert "invalid choice: 'soft'" in capsys.readouterr().err
    assert not (tmp_path / "demo").exists()
