"""Time each stage a user runs, as the user runs it (the ``ever6`` command), at a given scale.

Each stage runs in its own process so that its peak resident memory is its own (``wait4``
reports the child's ``ru_maxrss``). Synthetic authorities are cached under ``bench/cache`` by
scale and seed. Results are printed and written to ``bench/results/<scale>.json``.

    python -m bench --scale small
    python -m bench --scale la
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "bench" / "cache"
RESULTS = ROOT / "bench" / "results"


@dataclass
class Stage:
    name: str
    seconds: float
    peak_rss_mib: float
    rows: int | None = None

    @property
    def rows_per_second(self) -> float | None:
        return round(self.rows / self.seconds) if self.rows and self.seconds else None


def run_stage(name: str, args: list[str], env: dict[str, str], rows: int | None = None) -> Stage:
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ever6", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    out, err = proc.stdout.read() if proc.stdout else "", proc.stderr.read() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"stage {name} failed:\n{out}\n{err}")
    return Stage(name, round(seconds, 2), round(usage.ru_maxrss / 1024, 1), rows)


def count_lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(1 for _ in fh) - 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="small")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--fresh", action="store_true", help="regenerate the synthetic authority")
    opts = parser.parse_args()

    data = CACHE / f"{opts.scale}-{opts.seed}"
    home = CACHE / f"{opts.scale}-{opts.seed}-home"
    env = {**os.environ, "EVER6_HOME": str(home), "EVER6_USER": "bench"}
    stages: list[Stage] = []
    if opts.fresh or not (data / "manifest.json").exists():
        shutil.rmtree(data, ignore_errors=True)
        stages.append(
            run_stage("synth", ["synth", "--scale", opts.scale, "--seed", str(opts.seed), "--out", str(data)], env)
        )
    shutil.rmtree(home, ignore_errors=True)

    census = sorted((data / "cin_census").glob("*.xml"))
    children = sum(path.read_bytes().count(b"<Child>") for path in census)
    stages.append(run_stage("import cin-census", ["import", "cin-census", *map(str, census)], env, children))
    for year_files in sorted({p.name.split("_")[1] for p in (data / "ssda903").glob("ssda903_*.csv")}):
        files = sorted(str(p) for p in (data / "ssda903").glob(f"ssda903_{year_files}_*.csv"))
        stages.append(
            run_stage(
                f"import ssda903 {year_files}",
                ["import", "ssda903", "--year", year_files, *files],
                env,
                sum(count_lines(Path(f)) for f in files),
            )
        )
    cm = data / "case_management.csv"
    stages.append(
        run_stage(
            "import case-management",
            ["import", "case-management", str(cm), "--mapping", str(data / "case_management_mapping.toml")],
            env,
            count_lines(cm),
        )
    )
    school_files = [
        ("schools", sorted(data.glob("schools.csv"))),
        ("pupils", sorted(data.glob("pupils*.csv"))),
        ("attendance", [p for p in sorted((data / "attendance").glob("attendance_*.csv")) if "termly" not in p.name]),
        ("attendance-termly", sorted((data / "attendance").glob("attendance_termly_*.csv"))),
        ("exclusions", sorted(data.glob("exclusions.csv"))),
        ("attainment", sorted(data.glob("attainment.csv"))),
    ]
    for fmt, files in school_files:
        if files:
            stages.append(
                run_stage(f"import {fmt}", ["import", fmt, *map(str, files)], env, sum(count_lines(f) for f in files))
            )
    manifest = json.loads((data / "manifest.json").read_text())
    as_at = max(manifest["reference_dates"])
    out = home / "cohort.csv"
    for rule in ("--default", "--strict"):
        stage = run_stage(
            f"cohort export {rule[2:]}", ["cohort", "export", "--as-at", as_at, rule, "--out", str(out)], env
        )
        stage.rows = count_lines(out)
        stages.append(stage)

    stages.append(run_stage("refresh (cohort, linkage, measures)", ["refresh", "--as-at", as_at], env))
    metrics_out = home / "measures.csv"
    export = ["metrics", "export", "--year", "2025/26", "--suppress", "--out", str(metrics_out)]
    stage = run_stage("metrics export --suppress", export, env)
    stage.rows = count_lines(metrics_out)
    stages.append(stage)

    print(
        f"ever6 bench: scale {opts.scale}, seed {opts.seed}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"{'stage':36} {'seconds':>9} {'peak MiB':>9} {'rows':>11} {'rows/s':>10}")
    for s in stages:
        print(f"{s.name:36} {s.seconds:9.2f} {s.peak_rss_mib:9.1f} {s.rows or '':>11} {s.rows_per_second or '':>10}")
    social = [s for s in stages if s.name.startswith(("import cin", "import ssda", "import case"))]
    cohort_stage = next(s for s in stages if s.name == "cohort export default")
    print(
        f"{'social-care imports + cohort':36} {sum(s.seconds for s in social) + cohort_stage.seconds:9.2f} "
        f"{max(s.peak_rss_mib for s in [*social, cohort_stage]):9.1f}"
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    result_file = RESULTS / f"{opts.scale}.json"
    result_file.write_text(
        json.dumps(
            {
                "scale": opts.scale,
                "seed": opts.seed,
                "cores": os.cpu_count(),
                "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
                "stages": [{**asdict(s), "rows_per_second": s.rows_per_second} for s in stages],
            },
            indent=2,
        )
    )
    print(f"written to {result_file.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
