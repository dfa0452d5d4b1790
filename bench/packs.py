"""Every school's governors' pack, timed as the Virtual School runs it (``ever6 packs governors``).

    python -m bench.packs --scale la      # after `python -m bench --scale la` has published it
    python -m bench.packs --scale la --schools 50   # a sample: the authority's first 50 schools by URN

Uses the bench cache's published workspace (or ``--home``) with a throwaway web database: the
schools register synced from the snapshot, no partnership records. Prints and writes
``bench/results/packs-<scale>.json``: the schools, the wall time of the whole command (start-up,
figures, one PDF per school, the zip), per pack, and against the target (``--target``, seconds);
and the CPU time of the command and its workers, which a busy machine does not inflate.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ever6.private import restrict_umask

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


def main() -> None:
    restrict_umask()  # the packs are the authority's figures: owner-only files
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="small")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--home", type=Path, help="a published workspace other than the bench cache's")
    parser.add_argument("--jobs", type=int, default=0, help="worker processes (0: one per processor)")
    parser.add_argument("--target", type=float, default=120.0, help="seconds for every school's pack")
    parser.add_argument(
        "--schools", type=int, default=0, help="only this many schools (the first by URN): a sample, no target"
    )
    opts = parser.parse_args()

    home = opts.home or ROOT / "bench" / "cache" / f"{opts.scale}-{opts.seed}-home"
    snapshot = home / "published" / "web.duckdb"
    if not snapshot.exists():
        raise SystemExit(f"no snapshot at {snapshot}: run `python -m bench --scale {opts.scale}` first")
    web_home = Path(tempfile.mkdtemp(prefix="ever6-packs-bench-"))
    out = web_home / "packs"
    env = {
        **os.environ,
        "EVER6_HOME": str(web_home),
        "EVER6_SNAPSHOT": str(snapshot),
        "EVER6_SECRET_KEY": secrets.token_urlsafe(50),
    }
    try:
        subprocess.run([sys.executable, "-m", "ever6", "web", "sync-schools"], env=env, check=True)
        sample = [f"--school={urn}" for urn in _first_schools(snapshot, opts.schools)] if opts.schools else []
        began = time.perf_counter()
        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(
            [sys.executable, "-m", "ever6", "packs", "governors", "--out", str(out), "--jobs", str(opts.jobs), *sample],
            env=env,
            check=True,
        )
        wall = time.perf_counter() - began
        # The command's and its worker processes' CPU time: what the packs cost, however busy the machine.
        cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
        packs = sorted(out.glob("governors-pack-*.pdf"))
        archive = next(out.glob("governors-packs-*.zip"))
        result = {
            "scale": opts.scale,
            "schools": len(packs),
            "wall_seconds": round(wall, 1),
            "seconds_per_pack": round(wall / len(packs), 3) if packs else None,
            "cpu_seconds": round(cpu, 1),
            "cpu_seconds_per_pack": round(cpu / len(packs), 3) if packs else None,
            "pdf_mib": round(sum(p.stat().st_size for p in packs) / 2**20, 1),
            "zip_mib": round(archive.stat().st_size / 2**20, 1),
            "sample": bool(opts.schools),
            "target_seconds": None if opts.schools else opts.target,
            # No pack made is not a target met; nor is a sample, which is not every school.
            "met": None if opts.schools else bool(packs) and wall <= opts.target,
            "cpus": os.cpu_count(),
            "jobs": opts.jobs or os.cpu_count(),
        }
    finally:
        shutil.rmtree(web_home, ignore_errors=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / (f"packs-{opts.scale}-{opts.schools}-schools.json" if opts.schools else f"packs-{opts.scale}.json")
    path.write_text(json.dumps(result, indent=2))
    print(
        f"{result['schools']} governors' packs in {result['wall_seconds']} s "
        f"({result['seconds_per_pack']} s each, {result['cpu_seconds_per_pack']} CPU s each, "
        f"{result['jobs']} workers on {result['cpus']} processors); "
        + ("a sample" if opts.schools else f"target {opts.target:.0f} s: {'met' if result['met'] else 'NOT met'}")
    )
    print(f"written to {path}")


def _first_schools(snapshot: Path, n: int) -> list[str]:
    """The first ``n`` of the authority's schools by URN (the run's LA, or the most common), a sample."""
    import duckdb

    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        rows = con.execute(
            "SELECT urn FROM school WHERE la_code = coalesce(nullif((SELECT la_code FROM run), ''), "
            "(SELECT la_code FROM school GROUP BY la_code ORDER BY count(*) DESC, la_code LIMIT 1)) "
            "ORDER BY urn LIMIT ?",
            [n],
        ).fetchall()
        return [str(r[0]) for r in rows]
    finally:
        con.close()


if __name__ == "__main__":
    main()
