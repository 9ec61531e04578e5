"""The worked example of docs/observables.md runs and prints what it claims."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "observables.md"


def test_worked_example_runs_and_the_spectrum_integrates_to_the_multiplicity():
    text = DOC.read_text(encoding="utf-8")
    example = text.split("## Worked example", 1)[1]
    code = re.search(r"```python\n(.*?)```", example, re.S).group(1)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(DOC), "exec"), {})
    lines = out.getvalue().splitlines()
    one_minus_t = float(lines[0].split("=")[1])
    assert 0.0 < one_minus_t < 0.5, "1 - T lies in [0, 1/2]"
    numbers = [float(x) for x in re.findall(r"\d+\.\d+", lines[1])]
    integral, n_charged, above = numbers[0], numbers[1], numbers[2] / 100
    # the per-event spectrum integrates to <N_ch> times the fraction inside [0, 1]
    # (the printed values are rounded to 2 decimals: 0.01 tolerance)
    assert abs(integral - n_charged * (1 - above)) < 0.02
