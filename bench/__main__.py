"""Time each stage a user runs, as the user runs it (the ``ever6`` command), at a given scale.

Each stage runs in its own process so that its peak resident memory is its own (``wait4``
reports the child's ``ru_maxrss``; the process tree is sampled too, for Spark's JVM); a stage
that goes over ``--memory-cap`` is stopped and reported as such. Synthetic authorities are
cached under ``bench/cache`` by scale and seed.

Beside ever6's own stages the same run times, on the same attendance marks file, what ever6 is
measured against (:mod:`bench.baselines`): DuckDB's bare ``read_csv`` (the lower bound for the
import), one hand-written DuckDB query for the attendance measures (the lower bound for the
measures step), and the pandas an analyst would otherwise write; it prints ever6's time as a
ratio to each and checks the targets. Then it adds one school day of marks and refreshes again.
Results are printed and written to ``bench/results/<scale>.json``.

    python -m bench --scale small
    python -m bench --scale la
    python -m bench --scale region --spark measures --no-baselines

``--spark measures`` also times the measures step on Spark (local mode); ``--spark refresh``
also a whole ``ever6 refresh --engine spark --full``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

from ever6.private import restrict_umask

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "bench" / "cache"
RESULTS = ROOT / "bench" / "results"


GiB = 1024**3
DFE_RULES = "DfE rules (CIN census, one SSDA903)"
# Issue 22's targets by scale: ratios to the baselines (import and measures at most, pandas at
# least), seconds (a new day imported and refreshed; the first full refresh), peak MiB.
TARGETS: dict[str, dict[str, float]] = {
    "small": {"sql": 3.0, "pandas": 5.0, "new_day": 3.0},
    "la": {"import": 1.5, "sql": 2.0, "pandas": 10.0, "new_day": 10.0, "refresh": 30.0, "memory": 4096.0},
    "region": {"refresh": 60.0},
}


@dataclass
class Stage:
    name: str
    seconds: float
    peak_rss_mib: float
    rows: int | None = None
    inner_seconds: float | None = None  # the step's own time, reported by the step (no start-up)
    note: str | None = None
    cpu_seconds: float | None = None  # the process's user + system time (less noisy than wall on a shared machine)
    inner_cpu_seconds: float | None = None  # the step's own CPU time (every thread), reported by the step

    @property
    def rows_per_second(self) -> float | None:
        return round(self.rows / self.seconds) if self.rows and self.seconds else None


def _tree_rss(pid: int) -> int:
    """Resident memory of a process and all its descendants (Spark's JVM is a grandchild)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            status = (entry / "status").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
        rss[int(entry.name)] = next(
            (int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmRSS:")), 0
        )
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        total += rss.get(p, 0)
        stack.extend(children.get(p, ()))
    return total


def _watch(pid: int, cap_bytes: int, killed: list[bool], peak: list[int]) -> None:
    """Record the peak memory of the process tree, and stop it when it passes the cap (so one
    stage cannot take the machine)."""
    while Path(f"/proc/{pid}").exists():
        rss = _tree_rss(pid)
        peak[0] = max(peak[0], rss)
        if rss > cap_bytes:
            killed.append(True)
            os.kill(pid, 9)
            return
        time.sleep(0.2)


def run_stage(
    name: str,
    command: list[str],
    env: dict[str, str],
    rows: int | None = None,
    *,
    cap_bytes: int = 12 * GiB,
    may_fail: bool = False,
) -> tuple[Stage, dict[str, object]]:
    """Run one stage in a child process; returns it and the JSON its last output line holds, if any."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    output: dict[str, str] = {}

    def drain(key: str, stream: IO[str] | None) -> None:
        output[key] = stream.read() if stream else ""

    readers = [
        threading.Thread(target=drain, args=("out", proc.stdout)),
        threading.Thread(target=drain, args=("err", proc.stderr)),
    ]
    for reader in readers:
        reader.start()
    killed: list[bool] = []
    tree_peak = [0]
    threading.Thread(target=_watch, args=(proc.pid, cap_bytes, killed, tree_peak), daemon=True).start()
    _, status, usage = os.wait4(proc.pid, 0)  # the child's own peak memory, not the bench's
    proc.returncode = os.waitstatus_to_exitcode(status)
    for reader in readers:
        reader.join()
    seconds = round(time.perf_counter() - started, 2)
    # The child's own peak (exact), or its process tree's as sampled (a JVM it started), if higher.
    peak = round(max(usage.ru_maxrss * 1024, tree_peak[0]) / 2**20, 1)
    cpu = round(usage.ru_utime + usage.ru_stime, 2)
    out, err = output.get("out", ""), output.get("err", "")
    if killed:
        return Stage(name, seconds, peak, rows, note=f"stopped above {cap_bytes / GiB:.0f} GiB", cpu_seconds=cpu), {}
    if proc.returncode != 0:
        if may_fail:
            return Stage(name, seconds, peak, rows, note="failed: " + err.strip()[-300:], cpu_seconds=cpu), {}
        raise SystemExit(f"stage {name} failed:\n{out}\n{err}")
    lines = out.strip().splitlines()
    reported: dict[str, object] = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
    inner = reported.get("inner_seconds")
    own = float(inner) if isinstance(inner, float | int) else None
    inner_cpu = reported.get("inner_cpu_seconds")
    own_cpu = float(inner_cpu) if isinstance(inner_cpu, float | int) else None
    return Stage(name, seconds, peak, rows, own, cpu_seconds=cpu, inner_cpu_seconds=own_cpu), reported


def stage_environment(environ: Mapping[str, str], home: Path) -> dict[str, str]:
    """The environment every stage runs in: the bench's own workspace, nothing of the caller's
    (``EVER6_HOME``, a config, a snapshot). Nor ``PYTHONDONTWRITEBYTECODE``, which ``make`` drops
    too: with it every stage compiled each module it imported from source (``ever6 --help`` 1.8 s
    instead of 0.7 on the 2-core machine), which no installation does."""
    kept = {k: v for k, v in environ.items() if not k.startswith("EVER6_") and k != "PYTHONDONTWRITEBYTECODE"}
    return {**kept, "EVER6_HOME": str(home), "EVER6_USER": "bench"}


def ever6(*args: str) -> list[str]:
    return [sys.executable, "-m", "ever6", *args]


def module(name: str, *args: str) -> list[str]:
    return [sys.executable, "-m", name, *args]


def count_lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(1 for _ in fh) - 1


def _ratio(a: Stage | None, b: Stage | None, *, inner: bool = False, cpu: bool = False) -> float | None:
    """a's time over b's (each stage's own time when ``inner`` and both report it; CPU time, not
    wall, when ``cpu``)."""
    if a is None or b is None or a.note or b.note:
        return None
    if cpu:
        ta_cpu = a.inner_cpu_seconds if inner and a.inner_cpu_seconds is not None else a.cpu_seconds
        tb_cpu = b.inner_cpu_seconds if inner and b.inner_cpu_seconds is not None else b.cpu_seconds
        return round(ta_cpu / tb_cpu, 2) if ta_cpu is not None and tb_cpu else None
    ta = a.inner_seconds if inner and a.inner_seconds is not None else a.seconds
    tb = b.inner_seconds if inner and b.inner_seconds is not None else b.seconds
    return round(ta / tb, 2) if tb else None


def main() -> None:
    restrict_umask()  # its workspaces and results hold pupil data: owner-only files
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="small")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--fresh", action="store_true", help="regenerate the synthetic authority")
    parser.add_argument("--no-baselines", action="store_true", help="skip the DuckDB and pandas baselines")
    parser.add_argument("--no-features", action="store_true", help="skip the DfE rules, notifications and packs stages")
    parser.add_argument("--memory-cap-gib", type=float, default=12.0, help="stop a stage above this resident memory")
    parser.add_argument(
        "--spark", choices=("none", "measures", "refresh"), default="none", help="also time these on Spark"
    )
    parser.add_argument("--spark-memory", default="6g", help="the Spark driver's memory (local mode)")
    parser.add_argument(
        "--report", type=Path, help="print a results file written before, with today's targets, and run nothing"
    )
    opts = parser.parse_args()
    if opts.report:
        _report(opts.report)
        return
    cap = int(opts.memory_cap_gib * GiB)

    data = CACHE / f"{opts.scale}-{opts.seed}"
    home = CACHE / f"{opts.scale}-{opts.seed}-home"
    env = stage_environment(os.environ, home)
    stages: list[Stage] = []
    by_name: dict[str, Stage] = {}

    def stage(name: str, command: list[str], rows: int | None = None, *, may_fail: bool = False) -> None:
        print(f"  {name} ...", flush=True)
        result, _ = run_stage(name, command, env, rows, cap_bytes=cap, may_fail=may_fail)
        stages.append(result)
        by_name[name] = result
        note = f" ({result.note})" if result.note else ""
        print(
            f"    {result.seconds:.2f} s, {result.cpu_seconds} s CPU, peak {result.peak_rss_mib:.0f} MiB{note}",
            flush=True,
        )

    if opts.fresh or not (data / "manifest.json").exists():
        shutil.rmtree(data, ignore_errors=True)
        stage("synth", ever6("synth", "--scale", opts.scale, "--seed", str(opts.seed), "--out", str(data)))
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)

    census = sorted((data / "cin_census").glob("*.xml"))
    children = sum(path.read_bytes().count(b"<Child>") for path in census)
    # The DfE rules are timed on their own (bench.dfe_rules); run in the background here they would
    # hold the warehouse while the next import wants it.
    off = ("--dfe-rules", "off")
    stage("import cin-census", ever6("import", "cin-census", *off, *map(str, census)), children)
    for year in sorted({p.name.split("_")[1] for p in (data / "ssda903").glob("ssda903_*.csv")}):
        files = sorted(str(p) for p in (data / "ssda903").glob(f"ssda903_{year}_*.csv"))
        rows = sum(count_lines(Path(f)) for f in files)
        stage(f"import ssda903 {year}", ever6("import", "ssda903", *off, "--year", year, *files), rows)
    cm = data / "case_management.csv"
    mapping = data / "case_management_mapping.toml"
    stage(
        "import case-management",
        ever6("import", "case-management", str(cm), "--mapping", str(mapping)),
        count_lines(cm),
    )
    marks_files = [p for p in sorted((data / "attendance").glob("attendance_*.csv")) if "termly" not in p.name]
    school_files = [
        ("schools", sorted(data.glob("schools.csv"))),
        ("pupils", sorted(data.glob("pupils*.csv"))),
        ("attendance", marks_files),
        ("attendance-termly", sorted((data / "attendance").glob("attendance_termly_*.csv"))),
        ("exclusions", sorted(data.glob("exclusions.csv"))),
        ("attainment", sorted(data.glob("attainment.csv"))),
    ]
    for fmt, files in school_files:
        if files:
            stage(f"import {fmt}", ever6("import", fmt, *map(str, files)), sum(count_lines(f) for f in files))

    # The baselines, on the same marks file (the largest, when there are several).
    marks = max(marks_files, key=lambda p: p.stat().st_size) if marks_files else None
    if marks is not None and not opts.no_baselines:
        n = count_lines(marks)
        db = home / "baseline.duckdb"
        stage("baseline: duckdb read_csv", module("bench.baselines", "duckdb-read", str(marks), str(db)), n)
        stage("baseline: duckdb SQL measures", module("bench.baselines", "duckdb-sql", str(marks), str(db)), n)
        stage("baseline: duckdb SQL on the CSV", module("bench.baselines", "duckdb-sql-csv", str(marks)), n)
        stage("baseline: pandas", module("bench.baselines", "pandas", str(marks)), n, may_fail=True)
        db.unlink(missing_ok=True)

    manifest = json.loads((data / "manifest.json").read_text())
    as_at = max(manifest["reference_dates"])
    out = home / "cohort.csv"
    for rule in ("--default", "--strict"):
        stage(f"cohort export {rule[2:]}", ever6("cohort", "export", "--as-at", as_at, rule, "--out", str(out)))
        by_name[f"cohort export {rule[2:]}"].rows = count_lines(out)

    stage("refresh (cohort, linkage, measures)", ever6("refresh", "--as-at", as_at))
    stage("refresh: measures step alone", module("bench.steps", "measures", str(home)))
    metrics_out = home / "measures.csv"
    export = ("metrics", "export", "--year", "2025/26", "--suppress", "--out", str(metrics_out))
    stage("metrics export --suppress", ever6(*export))
    by_name["metrics export --suppress"].rows = count_lines(metrics_out)

    # One more school day of marks, imported and refreshed as a school's daily file would be.
    if marks is not None:
        day_file = data / "extra" / f"{marks.stem}_next_day.csv"
        if not day_file.exists():
            day_file.parent.mkdir(exist_ok=True)
            stage("make one new day of marks", module("bench.steps", "new-day", str(marks), str(day_file)))
        stage("import attendance (one new day)", ever6("import", "attendance", str(day_file)), count_lines(day_file))
        stage("refresh after one new day", ever6("refresh", "--as-at", as_at))

    # The newer features, each timed by its own module, which writes its figures to bench/results.
    if not opts.no_features:
        scale = ("--scale", opts.scale, "--seed", str(opts.seed))
        # The validators take about 30 s a census at `small`: every file there, the latest above.
        files = ("--cin-files", "all" if opts.scale == "small" else "latest")
        stage(DFE_RULES, module("bench.dfe_rules", *scale, *files))
        stage("notifications (outbox to SMTP)", module("bench.notifications", "--messages", "500"))
        stage("packs (every school's governors' pack)", module("bench.packs", *scale), may_fail=True)

    if opts.spark != "none":
        # Spark in local mode on this machine: the same expressions, run by Spark's engine.
        conf = f'spark_conf = {{ "spark.driver.memory" = "{opts.spark_memory}" }}'
        (home / "ever6.toml").write_text(f"[engine]\n{conf}\n")
        stage("refresh: measures step alone (spark)", module("bench.steps", "measures", str(home), "spark"))
        if opts.spark == "refresh":
            stage("refresh on spark (--full)", ever6("refresh", "--as-at", as_at, "--engine", "spark", "--full"))

    summary = _summary(by_name, stages, opts.scale)
    _print(opts, stages, summary)
    RESULTS.mkdir(parents=True, exist_ok=True)
    result_file = RESULTS / f"{opts.scale}.json"
    result_file.write_text(
        json.dumps(
            {
                "scale": opts.scale,
                "seed": opts.seed,
                "cores": os.cpu_count(),
                "load_average_at_end": os.getloadavg(),
                "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
                "stages": [{**asdict(s), "rows_per_second": s.rows_per_second} for s in stages],
                **summary,
            },
            indent=2,
        )
    )
    print(f"written to {result_file.relative_to(ROOT)}")


def _summary(by_name: dict[str, Stage], stages: list[Stage], scale: str) -> dict[str, Any]:
    """ever6's time as a ratio to each baseline, and each target met or not."""
    measures = by_name.get("refresh: measures step alone")
    pandas = by_name.get("baseline: pandas")
    refresh = by_name.get("refresh (cohort, linkage, measures)")
    new_day = [by_name.get("import attendance (one new day)"), by_name.get("refresh after one new day")]
    import_ratio = _ratio(by_name.get("import attendance"), by_name.get("baseline: duckdb read_csv"))
    sql_ratio = _ratio(measures, by_name.get("baseline: duckdb SQL measures"), inner=True)
    pandas_ratio = _ratio(pandas, measures, inner=True)
    ratios = {
        "attendance import / duckdb read_csv": import_ratio,
        "measures step / duckdb SQL (own times)": sql_ratio,
        "measures step / duckdb SQL on the CSV (own times)": _ratio(
            measures, by_name.get("baseline: duckdb SQL on the CSV"), inner=True
        ),
        "pandas / measures step (own times)": pandas_ratio,
        # The same by CPU time (user + system, every thread): steadier on a shared machine.
        "attendance import / duckdb read_csv (CPU)": _ratio(
            by_name.get("import attendance"), by_name.get("baseline: duckdb read_csv"), cpu=True
        ),
        "measures step / duckdb SQL (own CPU)": _ratio(
            measures, by_name.get("baseline: duckdb SQL measures"), inner=True, cpu=True
        ),
        "pandas / measures step (own CPU)": _ratio(pandas, measures, inner=True, cpu=True),
    }
    new_day_seconds = round(sum(s.seconds for s in new_day if s), 2) if all(new_day) else None
    new_day_cpu = round(sum(s.cpu_seconds or 0 for s in new_day if s), 2) if all(new_day) else None
    # Spark's JVM takes the heap it is given (--spark-memory): the memory target is DuckDB's.
    ours = [s for s in stages if not s.name.startswith("baseline") and "spark" not in s.name]
    peak = max(ours, key=lambda s: s.peak_rss_mib, default=None)

    def target(name: str, value: float | None, limit: float, *, at_least: bool = False) -> dict[str, Any]:
        met = None if value is None else (value >= limit if at_least else value <= limit)
        return {"target": name, "value": value, "limit": limit, "met": met}

    # Issue 22's targets, per scale (docs/scale.md); a scale without a target for a figure has none.
    limits = TARGETS.get(scale, {})
    checks: list[tuple[str, str, float | None, bool]] = [
        ("import", "attendance import within {}x of duckdb read_csv", import_ratio, False),
        ("sql", "measures step within {}x of the hand-written duckdb query", sql_ratio, False),
        ("sql", "the same, own CPU (within {}x)", ratios["measures step / duckdb SQL (own CPU)"], False),
        ("pandas", "measures step at least {}x faster than pandas", pandas_ratio, True),
        ("pandas", "the same, own CPU (at least {}x)", ratios["pandas / measures step (own CPU)"], True),
        ("refresh", "first full refresh under {} s", refresh.seconds if refresh else None, False),
        ("refresh", "the same, CPU seconds (under {})", refresh.cpu_seconds if refresh else None, False),
        ("new_day", "one new day of marks imported and refreshed under {} s", new_day_seconds, False),
        ("new_day", "the same, CPU seconds (under {})", new_day_cpu, False),
        (
            "memory",
            f"peak memory under {{}} MiB, DuckDB (highest: {peak.name if peak else '-'})",
            peak.peak_rss_mib if peak else None,
            False,
        ),
    ]
    targets = [
        target(text.format(limits[key]), value, limits[key], at_least=at_least)
        for key, text, value, at_least in checks
        if key in limits
    ]
    return {"ratios": ratios, "targets": targets, "features": _features(by_name, scale)}


def _features(by_name: dict[str, Stage], scale: str) -> dict[str, Any]:
    """The newer features' figures, as their stages wrote them to bench/results in this run."""

    def written(stage: str, name: str) -> dict[str, Any]:
        path = RESULTS / name
        if stage not in by_name or by_name[stage].note or not path.exists():
            return {}
        loaded: dict[str, Any] = json.loads(path.read_text())
        return loaded

    # Named "DfE rules (every CIN census, one SSDA903)" in results written before --cin-files.
    dfe_stage = next((name for name in by_name if name.startswith("DfE rules")), DFE_RULES)
    dfe = written(dfe_stage, f"dfe_rules-{scale}.json")
    ssda903 = [r for r in dfe.get("runs", []) if r.get("kind") == "ssda903"]
    notify = written("notifications (outbox to SMTP)", "notifications.json")
    packs = written("packs (every school's governors' pack)", f"packs-{scale}.json")
    return {
        "DfE rules: CIN census, s per 10,000 children": dfe.get("cin_seconds_per_10k_children"),
        "DfE rules: SSDA903, s per 10,000 children": ssda903[0]["seconds_per_10k_children"] if ssda903 else None,
        "notifications: ms per email (wall)": notify.get("ms_per_message"),
        "notifications: CPU ms per email": notify.get("cpu_ms_per_message"),
        "packs: schools": packs.get("schools"),
        "packs: s per pack (wall)": packs.get("seconds_per_pack"),
        "packs: CPU s per pack": packs.get("cpu_seconds_per_pack"),
        "packs: every pack within the target": packs.get("met"),
    }


def _report(path: Path) -> None:
    """Print the stages of an earlier run (``bench/results/<scale>.json``) with today's ratios and
    targets; the features are read from ``bench/results`` as they are now."""
    written = json.loads(path.read_text())
    stages = [Stage(**{k: v for k, v in s.items() if k != "rows_per_second"}) for s in written["stages"]]
    summary = _summary({s.name: s for s in stages}, stages, written["scale"])
    opts = argparse.Namespace(scale=written["scale"], seed=written["seed"])
    _print(opts, stages, summary, load=written["load_average_at_end"][0])
    print(f"measured at {written['measured_at']}")


def _print(opts: argparse.Namespace, stages: list[Stage], summary: dict[str, Any], load: float | None = None) -> None:
    load = os.getloadavg()[0] if load is None else load
    print(f"ever6 bench: scale {opts.scale}, seed {opts.seed}, {os.cpu_count()} cores, load {load:.1f}")
    print("(seconds: wall; CPU s: the process's user + system time; own: the step's own, without start-up)")
    print(f"Python {platform.python_version()}")
    print(
        f"{'stage':40} {'seconds':>9} {'CPU s':>7} {'own s':>7} {'own CPU':>7} {'peak MiB':>9}"
        f" {'rows':>11} {'rows/s':>10}"
    )
    for s in stages:
        own = f"{s.inner_seconds:.2f}" if s.inner_seconds is not None else ""
        own_cpu = f"{s.inner_cpu_seconds:.2f}" if s.inner_cpu_seconds is not None else ""
        cpu = f"{s.cpu_seconds:.2f}" if s.cpu_seconds is not None else ""
        note = f"  ({s.note})" if s.note else ""
        rows, rate = s.rows or "", s.rows_per_second or ""
        print(
            f"{s.name:40} {s.seconds:9.2f} {cpu:>7} {own:>7} {own_cpu:>7} {s.peak_rss_mib:9.1f}"
            f" {rows:>11} {rate:>10}{note}"
        )
    print("ratios:")
    for name, value in summary["ratios"].items():
        print(f"  {name:58} {value if value is not None else '-':>8}")
    print("features:")
    for name, value in summary["features"].items():
        print(f"  {name:58} {value if value is not None else '-':>8}")
    print("targets:")
    for t in summary["targets"]:
        mark = {True: "met", False: "MISSED", None: "not measured"}[t["met"]]
        value = t["value"] if t["value"] is not None else "-"
        print(f"  {t['target']:72} {value:>9} (limit {t['limit']}) {mark}")


if __name__ == "__main__":
    main()
