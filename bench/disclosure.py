"""Time disclosure control on a synthetic authority's published measures, what it hides, and what
an attacker still learns.

    python -m bench.disclosure --scale small --seed 5 [--width 3] [--attack]

The authority is built once (``ever6 demo``) and cached under ``bench/cache``; its web snapshot
holds the unsuppressed measures and the school register. Each academic year is suppressed with
its terms in one call (they are published together), with the schools' phases and authority
(``school_nesting``). Prints, per year and in all: rows, cells suppressed, the share hidden,
seconds (wall clock and CPU); with ``--attack`` also what the interval attacker
(``tests/disclosure/interval_attacker.py``, written apart from ``ever6.disclosure``) finds about
the primary sums (counts of 1 to 5 people): how many it attacked, how many are narrower than the
width, how many it pins exactly. ``--width`` sets ``DisclosureRules.protection_width`` (0:
interval protection off, as before issue 14). Results are also written to
``bench/results/disclosure-<scale>-<seed>-w<width>.json``.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "bench" / "cache"
RESULTS = ROOT / "bench" / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="small")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--width", type=int, default=3)
    parser.add_argument("--attack", action="store_true", help="run the interval attacker on each year")
    parser.add_argument("--year", help="only this academic year")
    parser.add_argument("--home", type=Path, help="an ever6 home already built (read only; default: the cache's)")
    parser.add_argument("--profile", type=Path, help="write cProfile statistics of the suppression to this file")
    parser.add_argument(
        "--secondary",
        action="store_true",
        help="with --attack: attack every suppressed sum, both years together, and count the narrow ones by kind",
    )
    args = parser.parse_args()

    import duckdb
    from tests.disclosure.publication_attack import attack_publication, schools_of

    from ever6.config import AuthoritySettings, Settings
    from ever6.demo import build_demo
    from ever6.disclosure import DisclosureRules
    from ever6.metrics.publication import school_nesting, suppress_metrics

    home = args.home or CACHE / f"disclosure-{args.scale}-{args.seed}" / "home"
    snapshot = home / "published" / "web.duckdb"
    if not snapshot.exists() and args.home is None:
        build_demo(Settings(home=home, authority=AuthoritySettings(la_code="886")), scale=args.scale, seed=args.seed)
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        la = con.sql("SELECT la_code FROM run").fetchall()[0][0]
        register = con.sql("SELECT * FROM school").to_arrow_table()
        years = [y for (y,) in con.sql("SELECT DISTINCT academic_year FROM metric ORDER BY 1").fetchall()]
        years = [y for y in years if args.year in (None, y)]
        tables = {y: con.sql(f"SELECT * FROM metric WHERE academic_year = '{y}'").to_arrow_table() for y in years}
    finally:
        con.close()
    nesting = school_nesting(register, la)
    rules = DisclosureRules(protection_width=args.width)
    results = []
    outs = []
    for year, table in tables.items():
        profiler = cProfile.Profile() if args.profile else None
        started, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        out = suppress_metrics(table, rules=rules, nesting=nesting)
        if profiler:
            profiler.disable()
            profiler.dump_stats(str(args.profile).replace(".", f"-{year.replace('/', '-')}.", 1))
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        outs.append(out)
        hidden = sum(r is not None for r in out.column("suppression_reason").to_pylist())
        result: dict[str, object] = {
            "year": year,
            "rows": table.num_rows,
            "suppressed": hidden,
            "share": round(hidden / table.num_rows, 3),
            "seconds": round(seconds, 1),
            "cpu_seconds": round(cpu, 1),  # this process's CPU time: what the machine's load does not inflate
        }
        if args.attack and not args.secondary:
            started = time.perf_counter()
            found = attack_publication(
                table, out, schools_of(register, la), width=max(args.width, 3), only_primary=True
            )
            result.update(found.figures())
            result["attack_seconds"] = round(time.perf_counter() - started, 1)
        results.append(result)
        print(json.dumps(result), flush=True)
    rows = sum(int(str(r["rows"])) for r in results)
    hidden = sum(int(str(r["suppressed"])) for r in results)
    total: dict[str, object] = {
        "scale": args.scale,
        "seed": args.seed,
        "width": args.width,
        "rows": rows,
        "suppressed": hidden,
        "share": round(hidden / rows, 3),
        "seconds": round(sum(float(str(r["seconds"])) for r in results), 1),
        "cpu_seconds": round(sum(float(str(r["cpu_seconds"])) for r in results), 1),
    }
    for key in ("attacked", "narrow_primary", "small_exact"):
        if args.attack and not args.secondary:
            total[key] = sum(int(str(r[key])) for r in results)
    if args.attack and args.secondary:
        # Both years at once (readers get them together), every suppressed sum, not only primary.
        import pyarrow as pa

        started = time.perf_counter()
        truth, published = pa.concat_tables(tables.values()), pa.concat_tables(outs)
        found = attack_publication(truth, published, schools_of(register, la), width=max(args.width, 3))
        total.update(found.figures())
        total["narrow_by_kind"] = found.narrow_by_kind()
        total["attack_seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(total))
    RESULTS.mkdir(parents=True, exist_ok=True)
    out_file = RESULTS / f"disclosure-{args.scale}-{args.seed}-w{args.width}.json"
    out_file.write_text(json.dumps({"years": results, "total": total}, indent=2) + "\n")


if __name__ == "__main__":
    main()
