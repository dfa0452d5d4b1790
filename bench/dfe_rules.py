"""What the DfE rules cost on import: seconds per 10,000 children, at a given scale.

Runs Data to Insight's validators (through :mod:`ever6.formats.dfe_rules`, as an import does)
on the synthetic authority's CIN census files (every one, or with ``--cin-files latest`` the
latest only) and its latest SSDA903 return, and prints and writes
``bench/results/dfe_rules-<scale>.json``. The figure is a rate, seconds per 10,000 children: at
`small` every census takes about 30 s, so ``python -m bench`` validates every file there and
only the latest at larger scales (at `la` the seven files would take about 45 minutes).

    python -m bench.dfe_rules --scale small
    python -m bench.dfe_rules --scale la --cin-files latest
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from lxml import etree

from bench.__main__ import CACHE, RESULTS
from ever6.formats.dfe_rules import validate_cin_census, validate_ssda903
from ever6.private import restrict_umask


def _cin_children(path: Path) -> int:
    return sum(1 for _ in etree.iterparse(str(path), tag="{*}Child"))


def _903_children(path: Path) -> int:
    with path.open(newline="") as f:
        return len({row["CHILD"] for row in csv.DictReader(f)})


def _per_10k(seconds: float, children: int) -> float:
    return seconds / max(children, 1) * 10_000


def main() -> None:
    restrict_umask()  # its workspaces and results hold pupil data: owner-only files
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--scale", default="small")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cin-files", choices=("all", "latest"), default="all")
    opts = parser.parse_args()
    data = CACHE / f"{opts.scale}-{opts.seed}"
    if not (data / "manifest.json").exists():
        print(f"generating the {opts.scale} authority in {data} ...", flush=True)
        ever6 = [sys.executable, "-m", "ever6", "synth", "--scale", opts.scale, "--seed", str(opts.seed)]
        subprocess.run([*ever6, "--out", str(data)], check=True)
    runs: list[dict[str, Any]] = []

    census = sorted((data / "cin_census").glob("*.xml"))
    for path in census[-1:] if opts.cin_files == "latest" else census:
        children = _cin_children(path)
        start = time.perf_counter()
        report = validate_cin_census(path)
        seconds = time.perf_counter() - start
        runs.append(
            {
                "file": path.name,
                "kind": "cin",
                "ruleset": report.ruleset,
                "children": children,
                "seconds": round(seconds, 2),
                "seconds_per_10k_children": round(_per_10k(seconds, children), 2),
                "issues": len(report.issues),
            }
        )
        print(json.dumps(runs[-1]), flush=True)

    returns = sorted((data / "ssda903").glob("*_episodes.csv"))
    if returns:
        episodes = returns[-1]
        header = episodes.with_name(episodes.name.replace("_episodes", "_header"))
        year = int(episodes.name.split("_")[1])
        children = _903_children(episodes)
        start = time.perf_counter()
        report = validate_ssda903({"header": header, "episodes": episodes}, year)
        seconds = time.perf_counter() - start
        runs.append(
            {
                "file": episodes.name,
                "kind": "ssda903",
                "ruleset": report.ruleset,
                "children": children,
                "seconds": round(seconds, 2),
                "seconds_per_10k_children": round(_per_10k(seconds, children), 2),
                "issues": len(report.issues),
            }
        )
        print(json.dumps(runs[-1]), flush=True)

    cin = [r for r in runs if r["kind"] == "cin"]
    summary = {
        "scale": opts.scale,
        "seed": opts.seed,
        "cin_seconds_per_10k_children": round(
            _per_10k(sum(r["seconds"] for r in cin), sum(r["children"] for r in cin)), 2
        )
        if cin
        else None,
        "runs": runs,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"dfe_rules-{opts.scale}.json"
    out.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"CIN census: {summary['cin_seconds_per_10k_children']} s per 10,000 children; written to {out}")


if __name__ == "__main__":
    main()
