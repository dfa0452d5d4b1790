"""What ever6 is measured against, run on the same attendance marks file.

Each baseline runs in its own child process (``python -m bench.baselines NAME ...``) so that its
peak memory is its own, and prints one JSON line: ``{"rows": ..., "enrolments": ..., ...}``.

``duckdb-read``
    The lower bound for an import: DuckDB's own ``read_csv`` of the file into a table of a DuckDB
    file on disk (what the import also produces), typed as the canonical table.
``duckdb-sql``
    The lower bound for the measures: one hand-written DuckDB query computing the attendance
    measures for every enrolment (marks joined to the code table on the code and the date it was
    in force; possible, authorised, unauthorised sessions; persistent and severe absence), read
    from the table ``duckdb-read`` wrote. ``duckdb-sql-csv`` runs the same query on the CSV itself.
``pandas``
    The baseline an analyst would otherwise write: pandas reading the same CSV and computing the
    same per-enrolment measures.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from ever6.attendance import POSSIBLE, code_table
from ever6.private import restrict_umask

_COLUMNS = "{'urn': 'VARCHAR', 'upn': 'VARCHAR', 'date': 'DATE', 'session': 'VARCHAR', 'code': 'VARCHAR'}"
_POSSIBLE = ", ".join(f"'{c.value}'" for c in sorted(POSSIBLE))

# Per enrolment (urn, upn): possible sessions, authorised and unauthorised absence; then whether
# the enrolment is a persistent (10%+) or severe (50%+) absentee. The summary row is what the
# comparison prints; every enrolment is computed.
MEASURES_SQL = f"""
WITH per_enrolment AS (
    SELECT m.urn, m.upn,
           count(*) FILTER (WHERE c.category IN ({_POSSIBLE})) AS possible,
           count(*) FILTER (WHERE c.category = 'authorised') AS authorised,
           count(*) FILTER (WHERE c.category = 'unauthorised') AS unauthorised
    FROM {{marks}} m
    JOIN codes c ON m.code = c.code AND m.date >= c.valid_from AND (c.valid_to IS NULL OR m.date <= c.valid_to)
    GROUP BY m.urn, m.upn
    HAVING count(*) FILTER (WHERE c.category IN ({_POSSIBLE})) > 0
)
SELECT count(*) AS enrolments,
       sum(possible) AS possible,
       sum(authorised + unauthorised) AS absence,
       sum(CASE WHEN (authorised + unauthorised) * 10 >= possible THEN 1 ELSE 0 END) AS persistent,
       sum(CASE WHEN (authorised + unauthorised) * 2 >= possible THEN 1 ELSE 0 END) AS severe
FROM per_enrolment
"""


def duckdb_read(csv: Path, db: Path) -> dict[str, object]:
    import duckdb

    db.unlink(missing_ok=True)
    con = duckdb.connect(str(db))
    con.execute(
        f"CREATE TABLE attendance_mark AS SELECT * FROM read_csv(?, header = true, columns = {_COLUMNS})", [str(csv)]
    )
    (rows,) = con.execute("SELECT count(*) FROM attendance_mark").fetchone() or (0,)
    con.close()
    return {"rows": rows}


def duckdb_sql(source: Path, db: Path | None) -> dict[str, object]:
    import duckdb

    con = duckdb.connect(str(db) if db else ":memory:", read_only=bool(db))
    con.register("codes", code_table())
    marks = "attendance_mark" if db else f"read_csv('{source}', header = true, columns = {_COLUMNS})"
    row = con.execute(MEASURES_SQL.format(marks=marks)).fetchone()
    con.close()
    assert row is not None
    return dict(zip(("enrolments", "possible", "absence", "persistent", "severe"), map(int, row), strict=True))


def pandas_measures(csv: Path) -> dict[str, object]:
    import pandas as pd

    marks = pd.read_csv(csv, dtype={"urn": str, "upn": str, "session": "category", "code": "category"})
    marks["date"] = pd.to_datetime(marks["date"], format="%Y-%m-%d")
    codes = code_table().to_pandas()
    codes["valid_from"] = pd.to_datetime(codes["valid_from"])
    codes["valid_to"] = pd.to_datetime(codes["valid_to"])
    m = marks.merge(codes, on="code", how="inner")
    m = m[(m["date"] >= m["valid_from"]) & (m["valid_to"].isna() | (m["date"] <= m["valid_to"]))]
    m = m.assign(
        possible=m["category"].isin([c.value for c in POSSIBLE]),
        authorised=m["category"] == "authorised",
        unauthorised=m["category"] == "unauthorised",
    )
    per = m.groupby(["urn", "upn"], observed=True)[["possible", "authorised", "unauthorised"]].sum()
    per = per[per["possible"] > 0]
    absence = per["authorised"] + per["unauthorised"]
    return {
        "rows": len(marks),
        "enrolments": len(per),
        "possible": int(per["possible"].sum()),
        "absence": int(absence.sum()),
        "persistent": int((absence * 10 >= per["possible"]).sum()),
        "severe": int((absence * 2 >= per["possible"]).sum()),
    }


def main(argv: list[str]) -> None:
    restrict_umask()  # its workspaces and results hold pupil data: owner-only files
    name, *args = argv
    started, cpu = time.perf_counter(), time.process_time()
    if name == "duckdb-read":
        out = duckdb_read(Path(args[0]), Path(args[1]))
    elif name == "duckdb-sql":
        out = duckdb_sql(Path(args[0]), Path(args[1]))
    elif name == "duckdb-sql-csv":
        out = duckdb_sql(Path(args[0]), None)
    elif name == "pandas":
        out = pandas_measures(Path(args[0]))
    else:
        raise SystemExit(f"unknown baseline {name!r}")
    own = {
        "inner_seconds": round(time.perf_counter() - started, 2),
        "inner_cpu_seconds": round(time.process_time() - cpu, 2),
    }
    print(json.dumps({**out, **own}))


if __name__ == "__main__":
    main(sys.argv[1:])
