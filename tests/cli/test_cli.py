"""The command line: every command listed, bad input gives one clear line."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mlhad.cli.main import build_parser, main


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mlhad.cli.main", *args], capture_output=True, text=True)


def test_help_lists_every_command():
    import pkgutil

    import mlhad.cli as cli

    names = {m.name[4:] for m in pkgutil.iter_modules(cli.__path__) if m.name.startswith("cmd_")}
    text = build_parser().format_help()
    for name in names:
        assert name in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--events", "0"], "n_events must be a positive integer, got 0"),
        (["--events", "10", "--preset", "lep3"], "unknown preset 'lep3'"),
        (["--events", "10", "--set", "StringZ:aLund=5"], "Pythia rejected the setting 'StringZ:aLund = 5'"),
        (["--events", "10", "--set", "Nonsense:key=1"], "not found in settings databases"),
    ],
)
def test_generate_bad_input(args, message, tmp_path, capsys):
    code = main(["generate", "--out", str(tmp_path / "s"), "--no-progress", *args])
    err = capsys.readouterr().err
    assert code == 1
    assert message in err
    assert err.count("\n") == 1, "one line"
    assert not (tmp_path / "s").exists(), "nothing is created for invalid input"


@pytest.mark.pythia
def test_generate_prints_a_summary_and_refuses_to_overwrite(tmp_path):
    out = tmp_path / "s"
    done = run_cli("generate", "--events", "200", "--chunk-size", "100", "--workers", "1", "--out", str(out),
                   "--no-progress")
    assert done.returncode == 0, done.stderr
    for word in ("events", "<N_charged>", "file size", "events/s", "string breaks/event"):
        assert word in done.stdout
    again = run_cli("generate", "--events", "200", "--out", str(out), "--no-progress")
    assert again.returncode == 1
    assert "already holds a sample; use --resume" in again.stderr
    assert again.stderr.count("\n") == 1
