"""Time disclosure control on a synthetic authority's published measures, and what it hides.

    python -m bench.disclosure --scale small --seed 5 [--width 3]

The authority is built once (``ever6 demo``) and cached under ``bench/cache``; its web snapshot
holds the unsuppressed measures and the school register. Each academic year is suppressed with
its terms in one call (they are published together). Prints, per year and in all: rows, cells
suppressed, the share hidden, seconds. ``--width`` sets ``DisclosureRules.protection_width``
(0: the linked check off, as by default).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "bench" / "cache"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="small")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--width", type=int, default=0)
    args = parser.parse_args()

    import duckdb

    from ever6.config import AuthoritySettings, Settings
    from ever6.demo import build_demo
    from ever6.disclosure import DisclosureRules
    from ever6.metrics.publication import school_nesting, suppress_metrics

    home = CACHE / f"disclosure-{args.scale}-{args.seed}" / "home"
    snapshot = home / "published" / "web.duckdb"
    if not snapshot.exists():
        build_demo(Settings(home=home, authority=AuthoritySettings(la_code="886")), scale=args.scale, seed=args.seed)
    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        la = con.sql("SELECT la_code FROM run").fetchall()[0][0]
        nesting = school_nesting(con.sql("SELECT * FROM school").to_arrow_table(), la)
        years = [y for (y,) in con.sql("SELECT DISTINCT academic_year FROM metric ORDER BY 1").fetchall()]
        tables = {y: con.sql(f"SELECT * FROM metric WHERE academic_year = '{y}'").to_arrow_table() for y in years}
    finally:
        con.close()
    rules = DisclosureRules(protection_width=args.width)
    results = []
    for year, table in tables.items():
        started = time.perf_counter()
        out = suppress_metrics(table, rules=rules, nesting=nesting)
        seconds = time.perf_counter() - started
        hidden = sum(r is not None for r in out.column("suppression_reason").to_pylist())
        results.append(
            {
                "year": year,
                "rows": table.num_rows,
                "suppressed": hidden,
                "share": round(hidden / table.num_rows, 3),
                "seconds": round(seconds, 1),
            }
        )
        print(json.dumps(results[-1]), flush=True)
    rows = sum(r["rows"] for r in results)
    hidden = sum(r["suppressed"] for r in results)
    total = {
        "scale": args.scale,
        "seed": args.seed,
        "width": args.width,
        "rows": rows,
        "suppressed": hidden,
        "share": round(hidden / rows, 3),
        "seconds": round(sum(r["seconds"] for r in results), 1),
    }
    print(json.dumps(total))


if __name__ == "__main__":
    main()
