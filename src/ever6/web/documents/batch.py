"""Every school's governors' pack at once, for ``ever6 packs governors`` and the bench.

The figures are read in one pass and the register's details once per school, in this process;
the PDFs are drawn in worker processes (forked, so they share the loaded templates and settings,
and never touch the database), then zipped together.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import time
import zipfile
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ever6.access import Viewer
from ever6.web.documents import governors
from ever6.web.documents.render import warm


@dataclass(frozen=True)
class Written:
    year: str
    packs: tuple[Path, ...]
    archive: Path
    seconds: float


def authority_schools(viewer: Viewer) -> list[str]:
    """The authority's own schools (GIAS, as published): those a governors' pack is written for."""
    from ever6.web.guard import snapshot

    snap = snapshot()
    la_code = snap.authority_la_code()  # [authority] la_code, or GIAS's most common, as the register's sync
    return sorted(str(s["urn"]) for s in snap.schools(viewer) if str(s.get("la_code") or "") == la_code)


def _worker_start() -> None:
    """A worker collects garbage less often: WeasyPrint makes hundreds of thousands of objects a
    pack, and the default thresholds ran a collection every 700 of them (8% of a pack's CPU)."""
    gc.set_threshold(50_000, 50, 100)


def _render_to(path: str, ctx: dict[str, Any]) -> str:
    Path(path).write_bytes(governors.render(ctx))
    return path


def write_governors_packs(
    viewer: Viewer,
    out: Path,
    *,
    year: str | None = None,
    urns: Sequence[str] | None = None,
    jobs: int = 0,
    progress: Callable[[int, int], None] | None = None,
    today: date | None = None,
) -> Written:
    """One PDF per school in ``out`` (every authority school unless ``urns`` names some) and a zip
    of them all. ``jobs``: worker processes (0: one per processor)."""
    from ever6.web.guard import snapshot

    started = time.perf_counter()
    snap = snapshot()
    with snap.pinned():  # every pack from the same published run
        years_published = snap.academic_years()
        year = year or (years_published[-1] if years_published else "")
        if year not in years_published:
            raise ValueError(f"no figures were published for {year!r} (published: {', '.join(years_published)})")
        years = governors.pack_years(snap, year)
        chosen = list(urns) if urns is not None else authority_schools(viewer)
        if not chosen:  # an empty zip would read as done
            raise ValueError("the published schools list (GIAS) holds none of the authority's schools")
        cells = governors.gather(snap, viewer, chosen, years)
        as_at = snap.run().as_at
    made_on = today or date.today()
    out.mkdir(parents=True, exist_ok=True)
    info = governors.details_for(chosen, today=made_on)
    work = [
        (
            str(out / governors.filename(urn, year)),
            governors.context(urn, cells[urn], years, info[urn], as_at=as_at, made_on=made_on),
        )
        for urn in chosen
    ]
    done: list[Path] = []
    jobs = jobs or os.cpu_count() or 1
    if jobs == 1 or len(work) <= 1:
        for path, ctx in work:
            done.append(Path(_render_to(path, ctx)))
            if progress:
                progress(len(done), len(work))
    else:
        warm()  # the fonts and stylesheet loaded once, before the workers fork and share them
        gc.freeze()  # what is loaded so far is kept: the workers' collections do not walk it
        pool = ProcessPoolExecutor(
            max_workers=jobs, mp_context=multiprocessing.get_context("fork"), initializer=_worker_start
        )
        try:
            with pool:
                for written in pool.map(_render_to, *zip(*work, strict=True)):
                    done.append(Path(written))
                    if progress:
                        progress(len(done), len(work))
        finally:
            gc.unfreeze()
    archive = out / f"governors-packs-{year.replace('/', '-')}.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for pack in done:
            zf.write(pack, arcname=pack.name)
    return Written(year, tuple(done), archive, time.perf_counter() - started)
