"""Reading files and importing them into the warehouse, as the CLI and the demo do.

Apart from :mod:`ever6.publish.pipeline` so that ``ever6 import`` does not load the analytics
(Ibis and its DuckDB backend, about half a second of every import's start-up).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from ever6.config import Settings, format_bytes
from ever6.errors import TooLarge
from ever6.formats import ReadOptions, format_named
from ever6.formats.problems import ImportRefused as ImportRefused  # for the access layer
from ever6.formats.problems import ReadResult, StreamedResult
from ever6.upn import la_codes
from ever6.warehouse import ImportOutcome, Warehouse

Progress = Callable[[str, float], None]


def read_sources(
    settings: Settings,
    fmt: str,
    paths: Sequence[Path],
    *,
    mapping: Path | None = None,
    year: int | None = None,
    progress: Progress | None = None,
) -> list[ReadResult]:
    """Read files of one format into batches: one per file, except for a format whose files make
    one batch together (the tables of one SSDA903 return, one term's school census files).

    Attendance marks are too many to hold: their results are streamed
    (:class:`~ever6.formats.problems.StreamedResult`), read while the warehouse writes them, and
    their problems are complete only once :func:`import_sources` has read them."""
    entry = format_named(fmt)
    options = ReadOptions(
        mapping=mapping,
        year=year,
        la_codes=la_codes(settings.linkage.extra_la_codes),  # one UPN rule, the authority's LA numbers
        xsd_dirs=settings.cin_census.xsd_dirs,
    )
    check_sizes(settings, fmt, paths)
    if progress and paths:
        progress(f"reading {paths[0].name}", 0.0)
    if entry.one_batch:
        return [entry.read(paths, options)]
    results = []
    for i, path in enumerate(paths):
        if progress and i:
            progress(f"reading {path.name}", i / len(paths))
        results.append(entry.read([path], options))
    return results


def check_sizes(settings: Settings, fmt: str, paths: Sequence[Path]) -> None:
    """Refuse, before reading anything, a file over its format's size limit (``[imports] max_bytes``)."""
    limit = settings.imports.limit(fmt)
    for path in paths:
        size = path.stat().st_size
        if size > limit:
            raise TooLarge(
                f"{path} is {format_bytes(size)}, over the limit of {format_bytes(limit)} for {fmt} files "
                "([imports] max_bytes in ever6.toml); it was not read and nothing changed"
            )


def import_sources(
    warehouse: Warehouse,
    settings: Settings,
    fmt: str,
    paths: Sequence[Path],
    *,
    mapping: Path | None = None,
    year: int | None = None,
    who: str | None = None,
    progress: Progress | None = None,
) -> list[ImportOutcome]:
    """Read and import, all or nothing: any refused file means nothing is imported."""
    results = read_sources(settings, fmt, paths, mapping=mapping, year=year, progress=progress)
    return warehouse.import_results(results, who=who)


def preview_sources(
    settings: Settings, fmt: str, paths: Sequence[Path], *, mapping: Path | None = None, year: int | None = None
) -> list[ReadResult]:
    """Read files as :func:`import_sources` would, and keep nothing: what an import would bring in
    (rows per table) and the problems found, for a preview before the import is confirmed."""
    results = read_sources(settings, fmt, paths, mapping=mapping, year=year)
    for result in results:
        if isinstance(result, StreamedResult):
            result.drain()  # counts its rows and completes its problems
    return results
