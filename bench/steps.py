"""One step of ``ever6 refresh`` on its own, in its own process, for the bench.

``measures HOME [ENGINE]``
    The measures step of the latest published run, recomputed from that run's cohort and links
    exactly as :func:`ever6.publish.pipeline.refresh` computes it, on ``duckdb`` (default) or ``spark``
    (the time then includes writing the warehouse as Parquet for Spark). Prints one JSON line: the number of
    metric rows and the step's own seconds (``inner_seconds``, without start-up and imports).

``new-day CSV OUT``
    Writes ``OUT``: the marks of the last day in ``CSV`` moved to the next weekday, as a school
    would send one more day of marks.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from ever6.private import restrict_umask


def measures(home: Path, engine: str = "duckdb") -> dict[str, object]:
    from ever6.config import load_settings
    from ever6.publish.pipeline import analytics_tables, compute_measures
    from ever6.warehouse import Warehouse
    from ever6.warehouse.published import Published

    settings = load_settings(home)
    from ever6.engines import engine_for

    session = engine_for(engine).session(settings.engine)
    with Warehouse(settings.warehouse_path, read_only=True) as wh:
        published = Published(wh)
        run = published.latest()
        if run is None:
            raise SystemExit("nothing published: run ever6 refresh first")
        cohort = published.output("cohort", run.run_id)
        links = published.output("link", run.run_id)
        started, cpu = time.perf_counter(), time.process_time()
        raw = analytics_tables(wh, settings, engine, session)  # type: ignore[arg-type]
        metrics = compute_measures(raw, cohort, links, settings, run.as_at)
        return {
            "rows": metrics.num_rows,
            "inner_seconds": round(time.perf_counter() - started, 2),
            # CPU time of every thread of the process: steadier than wall time on a shared machine.
            "inner_cpu_seconds": round(time.process_time() - cpu, 2),
        }


def new_day(csv: Path, out: Path) -> dict[str, object]:
    import duckdb

    con = duckdb.connect()
    source = f"read_csv('{csv}', header = true, all_varchar = true)"
    (last,) = con.execute(f"SELECT max(CAST(date AS DATE)) FROM {source}").fetchone() or (None,)
    if last is None:
        raise SystemExit(f"{csv} has no marks")
    # The next weekday after the last day in the file.
    (day,) = con.execute(
        "SELECT min(d)::DATE FROM range(?::DATE + 1, ?::DATE + 8, INTERVAL 1 DAY) t(d) WHERE isodow(d) <= 5",
        [last, last],
    ).fetchone() or (None,)
    tmp = out.with_suffix(".tmp")
    con.execute(
        f"COPY (SELECT urn, upn, strftime(?::DATE, '%Y-%m-%d') AS date, session, code FROM {source} "
        "WHERE CAST(date AS DATE) = ?) TO ? (HEADER, DELIMITER ',')",
        [day, last, str(tmp)],
    )
    tmp.replace(out)
    (rows,) = con.execute("SELECT count(*) FROM read_csv(?, header = true)", [str(out)]).fetchone() or (0,)
    return {"rows": rows, "day": str(day)}


def main(argv: list[str]) -> None:
    restrict_umask()  # its workspaces and results hold pupil data: owner-only files
    name, *args = argv
    started = time.perf_counter()
    if name == "measures":
        out = measures(Path(args[0]), *args[1:2])
    elif name == "new-day":
        out = new_day(Path(args[0]), Path(args[1]))
    else:
        raise SystemExit(f"unknown step {name!r}")
    print(json.dumps({"inner_seconds": round(time.perf_counter() - started, 2), **out}))


if __name__ == "__main__":
    main(sys.argv[1:])
