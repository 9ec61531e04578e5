"""`mlhad compare` end to end on a small Pythia sample, and its answers to bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import awkward as ak
import numpy as np
import pytest

from mlhad.cli.main import main
from mlhad.compare import compare_sample
from mlhad.exceptions import BinningMismatchError, HistogramError, OutputExistsError, SampleError, YodaFormatError
from mlhad.yoda import read_yoda, reference_path, write_yoda

pytestmark = pytest.mark.pythia
ALEPH = str(reference_path("ALEPH_1996_S3486095"))
DELPHI = str(reference_path("DELPHI_1996_S3430090"))
A = "/ALEPH_1996_S3486095/"


def test_report_files_and_content(compare_sample_dir, tmp_path):
    out = tmp_path / "report"
    result = compare_sample(compare_sample_dir, [ALEPH, DELPHI], out=out, plots=False, progress=False)
    cmp = result.comparison
    assert len(cmp.histograms) == 51 + 60
    assert len(cmp.skipped) == 16 + 44, "every reference object without MC counterpart is listed"
    for name in ("index.md", "index.html", "chi2.csv", "summary.json", "mc/ALEPH_1996_S3486095.yoda",
                 "mc/DELPHI_1996_S3430090.yoda"):
        assert (out / name).is_file(), name
    summary = json.loads((out / "summary.json").read_text())
    ratios = [h["chi2_ndf"] for h in summary["histograms"]]
    assert ratios == sorted(ratios, reverse=True), "worst first"
    assert summary["total"]["ndf"] == cmp.ndf == sum(h["ndf"] for h in summary["histograms"])
    md = (out / "index.md").read_text()
    assert md.index(cmp.worst_first()[0].name) < md.index(cmp.worst_first()[-1].name)
    assert "d13-x01-y01" in md, "skipped objects are listed in the report"
    mc = read_yoda(out / "mc" / "ALEPH_1996_S3486095.yoda")
    p = result.predictions["ALEPH_1996_S3486095"][A + "d03-x01-y01"]
    np.testing.assert_allclose(mc[A + "d03-x01-y01"].heights, p.values[0], rtol=1e-12)

    with pytest.raises(OutputExistsError, match="is not empty"):
        compare_sample(compare_sample_dir, [ALEPH], out=out, progress=False)


def test_plots_are_linked_from_the_report(compare_sample_dir, tmp_path):
    """Three reference objects (a shape, a spectrum with a gap, a mean) -> three linked PNGs."""
    reference = read_yoda(ALEPH)
    subset = tmp_path / "subset.yoda"
    write_yoda(subset, [reference["/REF" + A + n] for n in ("d01-x01-y01", "d25-x01-y01", "d19-x01-y01")])
    out = tmp_path / "report"
    compare_sample(compare_sample_dir, [subset], out=out, progress=False)
    html = (out / "index.html").read_text()
    for name in ("d01-x01-y01", "d25-x01-y01", "d19-x01-y01"):
        png = out / "plots" / "ALEPH_1996_S3486095" / f"{name}.png"
        assert png.read_bytes()[:4] == b"\x89PNG"
        assert f"plots/ALEPH_1996_S3486095/{name}.png" in html


def test_event_weights_from_a_column_set(compare_sample_dir, tmp_path):
    sample_dir = tmp_path / "s"
    shutil.copytree(compare_sample_dir.path, sample_dir)
    from mlhad.io import open_sample

    s = open_sample(sample_dir)
    per_chunk = [ak.Array({"nominal": np.ones(c.n_events), "double": np.full(c.n_events, 2.0)}) for c in s.chunks]
    s.write_column_set("toyweights", per_chunk)
    plain = compare_sample(s, [ALEPH], plots=False, progress=False).comparison
    weighted = compare_sample(s, [ALEPH], event_weights="toyweights", variation=1, plots=False, progress=False)
    # a constant weight changes no normalised value, hence no chi2
    assert weighted.comparison.chi2 == pytest.approx(plain.chi2, rel=1e-9)
    assert weighted.comparison.histograms[0].variation == "double"

    bad = [ak.Array({"w": np.where(np.arange(c.n_events) == 3, np.nan, 1.0)}) for c in s.chunks]
    s.write_column_set("nanweights", bad)
    with pytest.raises(HistogramError, match=r"2 of 500 event weights are NaN or inf \(the first at index \(3, 0\)\)"):
        compare_sample(s, [ALEPH], event_weights="nanweights", plots=False, progress=False)


def test_strongly_varying_event_weights_warn_that_the_chi2_is_not_a_direct_runs(compare_sample_dir, tmp_path):
    """Every 4th event kept (weight 1, the rest 0): n_eff/N = 1/4 exactly, MC errors 2x a direct run's."""
    from mlhad.analysis.variance import effective_sample_fraction
    from mlhad.io import open_sample

    assert effective_sample_fraction(np.array([1.0, 1.0, 1.0])) == pytest.approx(1.0)
    assert effective_sample_fraction(np.array([1.0, 7.0])) == pytest.approx(16 / 25)
    sample_dir = tmp_path / "s"
    shutil.copytree(compare_sample_dir.path, sample_dir)
    s = open_sample(sample_dir)
    offset = 0
    per_chunk = []
    for c in s.chunks:
        index = offset + np.arange(c.n_events)
        per_chunk.append(ak.Array({"every4th": np.where(index % 4 == 0, 1.0, 0.0), "flat": np.full(c.n_events, 2.0)}))
        offset += c.n_events
    s.write_column_set("thinned", per_chunk)
    thinned = compare_sample(s, [ALEPH], event_weights="thinned", variation=0, plots=False, progress=False)
    assert thinned.meta["n_eff_fraction"] == pytest.approx(0.25)
    assert any("n_eff/N = 0.250" in w and "about 2.0x" in w for w in thinned.comparison.warnings)
    flat = compare_sample(s, [ALEPH], event_weights="thinned", variation=1, plots=False, progress=False)
    assert flat.meta["n_eff_fraction"] == pytest.approx(1.0)
    assert not any("n_eff/N" in w for w in flat.comparison.warnings)
    assert compare_sample(s, [ALEPH], plots=False, progress=False).meta["n_eff_fraction"] is None


def test_bad_inputs(compare_sample_dir, tmp_path):
    truncated = tmp_path / "truncated.yoda"
    text = Path(ALEPH).read_text()
    truncated.write_text(text[: len(text) // 2])
    with pytest.raises(YodaFormatError, match="truncated.yoda"):
        compare_sample(compare_sample_dir, [truncated], plots=False, progress=False)

    # a reference object with one point fewer than Rivet's analysis books
    fewer = tmp_path / "fewer.yoda"
    lines, out, inside, dropped = text.splitlines(), [], False, False
    for line in lines:
        if line.startswith("BEGIN") and line.endswith("/d03-x01-y01"):
            inside = True
        elif inside and line[:1].isdigit() and not dropped:
            dropped = True
            continue
        elif line.startswith("END"):
            inside = False
        out.append(line)
    fewer.write_text("\n".join(out) + "\n")
    with pytest.raises(BinningMismatchError, match="/REF/ALEPH_1996_S3486095/d03-x01-y01: the reference has 20 points"):
        compare_sample(compare_sample_dir, [fewer], plots=False, progress=False)

    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "mlhad-sample.json").write_text(json.dumps(compare_sample_dir.metadata))
    with pytest.raises(SampleError, match="has no events"):
        compare_sample(empty, [ALEPH], progress=False)


def test_cli_prints_the_table_and_answers_bad_input_in_one_line(compare_sample_dir, tmp_path, capsys):
    code = main(["compare", str(compare_sample_dir.path), "--data", ALEPH, "--no-plots", "--no-progress",
                 "--out", str(tmp_path / "r")])
    printed = capsys.readouterr().out
    assert code == 0
    assert "| # | histogram |" in printed and "total chi2/ndf =" in printed and "report:" in printed

    code = main(["compare", str(compare_sample_dir.path), "--data", str(tmp_path / "missing.yoda"), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 1 and "missing.yoda' does not exist" in err and err.count("\n") == 1
    weights = tmp_path / "w.txt"
    weights.write_text("/ALEPH_1996_S3486095/d01-x01-y01 lots\n")
    code = main(["compare", str(compare_sample_dir.path), "--data", ALEPH, "--weights", str(weights), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 1 and "w.txt, line 1: weight 'lots' is not a number" in err


def test_observe_writes_the_mc_yoda_file(compare_sample_dir, tmp_path, capsys):
    out = tmp_path / "mc.yoda"
    assert main(["observe", str(compare_sample_dir.path), "--analysis", "DELPHI_1996_S3430090", "--out", str(out),
                 "--no-progress"]) == 0
    assert "wrote 60 histograms of DELPHI_1996_S3430090 (500 events)" in capsys.readouterr().out
    mc = read_yoda(out)
    assert mc["/DELPHI_1996_S3430090/d10-x01-y01"].type_name == "Profile1D"
    assert mc["/_EVTCOUNT"].numentries == 500
