"""Writing: exact float round trips for every type, YODA1/YODA2, gzip, safe file handling."""

from __future__ import annotations

import dataclasses
import gzip
import os

import numpy as np
import pytest

from mlhad.exceptions import YodaFormatError
from mlhad.yoda import (
    BinnedEstimate,
    Counter,
    Estimate0D,
    Estimate1D,
    Estimate2D,
    Histo1D,
    Histo2D,
    Profile1D,
    Scatter1D,
    Scatter2D,
    Scatter3D,
    read_yoda,
    reads_yoda,
    write_yoda,
    writes_yoda,
)


def awkward_floats(rng, n):
    """Doubles that a fixed-precision writer would corrupt: full 17-digit mantissas,
    tiny and huge exponents, -0.0, and 0.1 (not representable in binary)."""
    base = rng.standard_normal(n) * 10.0 ** rng.integers(-300, 300, n)
    special = [0.1, -0.0, 1 / 3]
    base[: min(n, 3)] = special[: min(n, 3)]
    return base


def make_objects(rng) -> dict:
    n = 5
    edges = np.cumsum(rng.random(n + 1)) + rng.random()
    dbn1 = rng.random((n + 2, 5)) * 1e3
    dbn2 = np.zeros((4, 3, 8))
    dbn2[1:-1, 1:-1] = rng.random((2, 1, 8))  # YODA1 cannot store 2D outflows: keep them empty
    objs = [
        Scatter1D(path="/A/s1", x=awkward_floats(rng, 3), xerr_minus=rng.random(3), xerr_plus=rng.random(3)),
        Scatter2D(path="/REF/A/s2", annotations={"IsRef": "1", "Title": "x: y, z"}, x=awkward_floats(rng, n),
                  xerr_minus=rng.random(n), xerr_plus=rng.random(n), y=awkward_floats(rng, n),
                  yerr_minus=rng.random(n), yerr_plus=rng.random(n)),
        Scatter3D(path="/A/s3", x=rng.random(2), y=rng.random(2), z=awkward_floats(rng, 2)),
        Counter(path="/_EVTCOUNT", sumw=rng.random() * 1e6, sumw2=rng.random(), numentries=12345.0),
        Histo1D(path="/A/h1", annotations={"ScaledBy": "0.001"}, edges=edges, dbn=dbn1),
        Profile1D(path="/A/p1", edges=edges, dbn=np.column_stack([rng.random((n + 2, 6)), np.zeros(n + 2), rng.random(n + 2)])),
        Histo2D(path="/A/h2", xedges=[0.0, 0.1, 0.3], yedges=[-1.0, 2.5], dbn=dbn2),
    ]
    return {o.path: o for o in objs}


def make_estimates(rng) -> dict:
    n = 4
    content = np.concatenate([[np.nan], awkward_floats(rng, n), [np.nan]])
    stat = (-rng.random(n + 2), rng.random(n + 2))
    syst_dn = -rng.random(n + 2)
    syst_dn[2] = np.nan
    syst_up = rng.random(n + 2)
    syst_up[2] = np.nan
    objs = [
        Estimate0D(path="/_XSEC", value=4.7e7 + 0.123456789, sources={"stats": (-6773.2, 6773.2)}),
        Estimate1D(path="/REF/A/e1", axes=(np.linspace(0.0, 0.7, n + 1),), content=content,
                   sources={"stat": stat, 'sys "jes"': (syst_dn, syst_up)}, masked=(3,)),
        Estimate2D(path="/REF/A/e2", axes=([0.0, 1.0, 2.0], [5.0, 6.0]), content=rng.random((4, 3))),
        BinnedEstimate(path="/REF/A/bi", axes=((91, 189, 207),), content=rng.random(4)),
        BinnedEstimate(path="/REF/A/bs", axes=(("pi", "K, K*", "p"),), content=rng.random(4),
                       sources={"": (-rng.random(4), rng.random(4))}),
        BinnedEstimate(path="/REF/A/bds", axes=([0.0, 1.0], ("a", "b")), content=rng.random((3, 3))),
    ]
    return {o.path: o for o in objs}


@pytest.mark.parametrize("version", [1, 2])
def test_every_type_round_trips_exactly(version):
    rng = np.random.default_rng(7)
    objects = make_objects(rng)
    again = reads_yoda(writes_yoda(objects, version=version))
    assert list(again) == list(objects)
    for path, obj in objects.items():
        assert again[path] == obj, f"{path} changed in a YODA{version} round trip"
        assert type(again[path]) is type(obj)


def test_estimates_round_trip_exactly_in_yoda2():
    estimates = make_estimates(np.random.default_rng(8))
    again = reads_yoda(writes_yoda(estimates))
    assert again == estimates
    assert again["/REF/A/bds"].type_name == "BinnedEstimate<d,s>"
    # the user-given total error (label "") is used as the total as is
    bs = again["/REF/A/bs"]
    np.testing.assert_array_equal(bs.total_errors()[1], bs.sources[""][1][1:])


def test_written_yoda2_text_has_the_documented_layout():
    e = Estimate1D.from_bins("/REF/A/h", [0.0, 0.5, 1.0], [2.0, 3.0], {"stats": ([-0.25, -0.5], [0.25, 0.5])})
    text = writes_yoda([e])
    assert text.splitlines()[:11] == [
        "BEGIN YODA_ESTIMATE1D_V3 /REF/A/h",
        "Path: /REF/A/h",
        "Type: Estimate1D",
        "---",
        "Edges(A1): [0.0, 0.5, 1.0]",
        'ErrorLabels: ["stats"]',
        "# value\terrDn(1)\terrUp(1)",
        "nan\t---\t---",
        "2.0\t-0.25\t0.25",
        "3.0\t-0.5\t0.5",
        "nan\t---\t---",
    ]


def test_yoda1_cannot_hold_estimates_and_says_how_to_convert():
    e = Estimate1D.from_bins("/REF/A/h", [0.0, 1.0], [2.0])
    with pytest.raises(YodaFormatError, match=r"/REF/A/h: YODA1 has no Estimate1D.*to_scatter"):
        writes_yoda([e], version=1)
    assert reads_yoda(writes_yoda([e.to_scatter()], version=1))["/REF/A/h"].y.tolist() == [2.0]


def test_yoda1_to_yoda2_keeps_everything_but_the_stored_total(datadir):
    """YODA2 files have no Total row: converting recomputes it as the sum of the rows."""
    objects = read_yoda(datadir / "yoda1_mc.yoda")
    again = reads_yoda(writes_yoda(objects, version=2))
    for path, obj in objects.items():
        if isinstance(obj, (Histo1D, Profile1D, Histo2D)):
            assert dataclasses.replace(obj, total=None) == again[path]
        else:
            assert again[path] == obj


def test_write_read_file_gzip_and_no_overwrite(tmp_path):
    objects = make_objects(np.random.default_rng(3))
    for name in ("out.yoda", "out.yoda.gz"):
        path = write_yoda(tmp_path / name, objects)
        assert read_yoda(path) == objects
    raw = (tmp_path / "out.yoda.gz").read_bytes()
    assert raw[:2] == b"\x1f\x8b"
    # mtime=0 in the gzip header: the same objects give the same bytes
    write_yoda(tmp_path / "again.yoda.gz", objects)
    assert (tmp_path / "again.yoda.gz").read_bytes() == raw
    assert gzip.decompress(raw).decode() == writes_yoda(objects)

    before = (tmp_path / "out.yoda").read_bytes()
    with pytest.raises(FileExistsError, match=r"out.yoda' already exists; pass overwrite=True"):
        write_yoda(tmp_path / "out.yoda", {})
    assert (tmp_path / "out.yoda").read_bytes() == before
    write_yoda(tmp_path / "out.yoda", list(objects.values())[:1], overwrite=True)
    assert list(read_yoda(tmp_path / "out.yoda")) == ["/A/s1"]
    assert sorted(os.listdir(tmp_path)) == ["again.yoda.gz", "out.yoda", "out.yoda.gz"]  # no temporaries left


def test_bad_objects_leave_no_file(tmp_path):
    e = Estimate0D(path="/x", value=1.0)
    with pytest.raises(YodaFormatError, match="YODA1 has no Estimate0D"):
        write_yoda(tmp_path / "bad.yoda", [e], version=1)
    assert os.listdir(tmp_path) == []
    with pytest.raises(FileNotFoundError, match="directory .*nowhere.* does not exist"):
        write_yoda(tmp_path / "nowhere" / "f.yoda", [e])


def test_writer_input_checks():
    s = Scatter2D(path="/A/s", x=[1.0], y=[2.0])
    with pytest.raises(YodaFormatError, match=r"entry '/A/t' holds an object with path '/A/s'"):
        writes_yoda({"/A/t": s})
    with pytest.raises(YodaFormatError, match="two objects have the path '/A/s'"):
        writes_yoda([s, s])
    with pytest.raises(YodaFormatError, match="version must be 1 .* or 2"):
        writes_yoda([s], version=3)


def test_objects_are_frozen_and_validated():
    s = Scatter2D(path="/A/s", x=[1.0, 2.0], y=[2.0, 3.0])
    with pytest.raises(ValueError, match="read-only"):
        s.y[0] = 5.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.path = "/B"  # type: ignore[misc]
    assert s.xerr_minus.tolist() == [0.0, 0.0]  # omitted errors are zero
    with pytest.raises(YodaFormatError, match=r"/A/s: y has 1 entries, expected 2"):
        Scatter2D(path="/A/s", x=[1.0, 2.0], y=[2.0])
    with pytest.raises(YodaFormatError, match="must start with '/'"):
        Scatter2D(path="A/s", x=[1.0], y=[2.0])
    with pytest.raises(YodaFormatError, match=r"dbn must have shape \(4, 5\)"):
        Histo1D(path="/h", edges=[0.0, 1.0, 2.0], dbn=np.zeros((3, 5)))
    with pytest.raises(YodaFormatError, match="strictly increasing"):
        Histo1D(path="/h", edges=[0.0, 2.0, 1.0], dbn=np.zeros((4, 5)))
    # Path and Type are fields, not free annotations
    assert Scatter2D(path="/A/s", x=[1.0], y=[2.0], annotations={"Path": "/other", "Type": "X"}).annotations == {}
    # equality is exact: NaN equals NaN in place, a one-ulp change does not compare equal
    a = Scatter2D(path="/A/s", x=[np.nan], y=[1.0])
    assert a == Scatter2D(path="/A/s", x=[np.nan], y=[1.0])
    assert a != Scatter2D(path="/A/s", x=[np.nan], y=[np.nextafter(1.0, 2.0)])


def test_objects_pickle_for_parallel_work():
    """dask/multiprocessing ship objects by pickle: they must come back equal."""
    import pickle

    objects = {**make_objects(np.random.default_rng(1)), **make_estimates(np.random.default_rng(2))}
    assert pickle.loads(pickle.dumps(objects)) == objects
