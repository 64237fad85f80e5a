"""The one line each benchmark prints for ``make bench`` (bench/run.py reads it)::

    RESULT {"name": ..., "figure": ..., "baseline": ..., "unit": ..., "ratio": ...,
            "target": ..., "met": ...}

``figure`` and ``baseline`` are measured in the same run; ``ratio`` is the figure as a ratio
to its baseline, in the sense the target is stated (for a time, baseline ÷ figure: how many
times faster; for a rate, figure ÷ baseline). A benchmark may print several."""

from __future__ import annotations

import json

PREFIX = "RESULT "


def result(name: str, *, figure: float, baseline: float, unit: str, ratio: float,
           target: str = "", met: bool | None = None) -> None:
    print(PREFIX + json.dumps({"name": name, "figure": figure, "baseline": baseline,
                               "unit": unit, "ratio": ratio, "target": target, "met": met},
                              ensure_ascii=False), flush=True)
