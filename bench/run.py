"""``make bench``: every benchmark in bench/, briefly, and one table in bench/README.md.

Each module ``bench/<name>.py`` (not this one, ``common``, ``results`` or a ``locustfile``)
is run as ``python -m bench.<name>`` once per entry of its ``QUICK_RUNS`` (a list of
argument lists, read from the source without importing it), or once without arguments when
it has none. Every ``RESULT`` line it prints (``bench/results.py``) becomes a row: the
figure, the baseline measured in the same run, their ratio, the target, and the command
that produced it. A benchmark that printed no RESULT line, or failed, gets a row saying so.
The table replaces what stands between the two ``make bench`` markers in bench/README.md.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

from bench.results import PREFIX

HERE = Path(__file__).parent
README = HERE / "README.md"
BEGIN, END = "<!-- make bench: begin -->", "<!-- make bench: end -->"
SKIP = {"__init__", "run", "common", "results", "locustfile"}


def quick_runs(path: Path) -> list[list[str]]:
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "QUICK_RUNS" for t in node.targets):
            return [list(map(str, run)) for run in ast.literal_eval(node.value)]
    return [[]]


def run_one(name: str, args: list[str], timeout: float) -> tuple[list[dict], str]:
    command = [sys.executable, "-m", f"bench.{name}", *args]
    shown = " ".join([".venv/bin/python", "-m", f"bench.{name}", *map(shlex.quote, args)])
    print(f"== {shown}", flush=True)
    start = time.monotonic()
    try:
        done = subprocess.run(command, cwd=HERE.parent, capture_output=True, text=True,
                              timeout=timeout)
        output, code = done.stdout + done.stderr, done.returncode
    except subprocess.TimeoutExpired as error:
        output, code = str(error.stdout or ""), f"timed out after {timeout:.0f} s"
    rows = [json.loads(line[len(PREFIX):]) for line in output.splitlines()
            if line.startswith(PREFIX)]
    tail = "\n".join(output.strip().splitlines()[-3:])
    print(f"   {time.monotonic() - start:.0f} s, exit {code}, {len(rows)} result(s)\n{tail}",
          flush=True)
    if code != 0 or not rows:
        rows.append({"name": f"bench.{name}", "figure": None, "baseline": None, "unit": "",
                     "ratio": None, "target": "", "met": None,
                     **({"error": f"failed (exit {code})"} if code != 0 else
                        {"note": "no RESULT line: see its own output"})})
    for row in rows:
        row["command"] = shown
    return rows, output


def _number(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    return f"{value:,.2f} {unit}".strip() if value < 100 else f"{value:,.0f} {unit}".strip()


def table(rows: list[dict], when: str, seconds: float, load: tuple[float, float]) -> str:
    lines = [f"Measured by `make bench` on {when} in {seconds / 60:.1f} minutes "
             f"({os.cpu_count()} cores, load average {load[0]:.1f} at the start and "
             f"{load[1]:.1f} at the end: other work shares the machine; each figure against "
             "its baseline measured in the same run):", "",
             "| benchmark | figure | baseline | ratio | target | met | command |",
             "| --- | ---: | ---: | ---: | --- | --- | --- |"]
    for r in rows:
        ratio = "—" if r.get("ratio") is None else f"{r['ratio']:,.2f}×"
        met = {True: "yes", False: "no"}.get(r.get("met"),  # type: ignore[arg-type]
                                             r.get("error") or r.get("note") or "—")
        lines.append(f"| {r['name']} | {_number(r.get('figure'), r.get('unit', ''))} | "
                     f"{_number(r.get('baseline'), r.get('unit', ''))} | {ratio} | "
                     f"{r.get('target', '')} | {met} | `{r['command']}` |")
    return "\n".join(lines)


def write_readme(text: str) -> None:
    current = README.read_text()
    block = f"{BEGIN}\n{text}\n{END}"
    if BEGIN in current and END in current:
        head, rest = current.split(BEGIN, 1)
        current = head + block + rest.split(END, 1)[1]
    else:
        title, _sep, body = current.partition("\n")
        current = f"{title}\n\n## `make bench`: today's figures\n\n{block}\n{body}"
    README.write_text(current)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--only", default="", help="comma-separated benchmark names")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per run")
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    args = parser.parse_args(argv)
    only = {n for n in args.only.split(",") if n}
    rows: list[dict] = []
    started, load = time.monotonic(), os.getloadavg()[0]
    for path in sorted(HERE.glob("*.py")):
        if path.stem in SKIP or (only and path.stem not in only):
            continue
        for run in quick_runs(path):
            found, _output = run_one(path.stem, run, args.timeout)
            rows.extend(found)
    text = table(rows, time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                 time.monotonic() - started, (load, os.getloadavg()[0]))
    print(text)
    if not args.no_write:
        write_readme(text)
    return 0 if all(r.get("error") is None for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
