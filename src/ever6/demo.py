"""The demo: a synthetic local authority built into a fresh workspace and run end to end.

It performs the same steps a data manager would with real files (import the CIN census files,
the SSDA903 returns and the case-management extract, then build the cohort), so the demo also
shows that those steps work together.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from ever6.config import Settings, with_la_code
from ever6.errors import Refused
from ever6.pipeline import CohortSummary, Progress, build_cohort, import_sources, refresh, summarise
from ever6.synth import generate
from ever6.synth.scales import ONS_CODES
from ever6.warehouse import Warehouse
from ever6.warehouse.published import Run

_MARKER = ".ever6-demo"


class DemoError(Refused, RuntimeError):
    pass


@dataclass(frozen=True)
class DemoSummary:
    home: Path
    data_dir: Path
    batches: int
    cohort: CohortSummary
    run: Run | None = None


def _fresh_workspace(home: Path) -> None:
    """Empty ``home`` for the demo, but never a workspace that holds anything but a demo."""
    if home.exists() and any(home.iterdir()):
        if not (home / _MARKER).exists():
            raise DemoError(f"{home} is not empty and is not a demo workspace; choose another --home")
        shutil.rmtree(home)
    home.mkdir(parents=True, exist_ok=True)
    (home / _MARKER).write_text("This workspace was built by `ever6 demo` and is rebuilt by it.\n")


def _ssda903_years(folder: Path) -> dict[int, list[Path]]:
    years: dict[int, list[Path]] = {}
    for path in sorted(folder.glob("ssda903_*_*.csv")):
        match = re.match(r"ssda903_(\d{4})_", path.name)
        if match:
            years.setdefault(int(match.group(1)), []).append(path)
    return years


# School data the synthetic authority writes, by import format, as a data manager would load it.
_SCHOOL_FILES = (
    ("schools", "schools.csv"),
    ("pupils", "pupils*.csv"),
    ("attendance", "attendance/attendance_*.csv"),
    ("attendance-termly", "attendance/attendance_termly_*.csv"),
    ("exclusions", "exclusions.csv"),
    ("attainment", "attainment.csv"),
)


def build_demo(
    settings: Settings,
    *,
    scale: str = "small",
    seed: int = 2026,
    progress: Progress | None = None,
    run_refresh: bool = True,
) -> DemoSummary:
    home = settings.home
    _fresh_workspace(home)
    data = home / "synthetic"
    manifest = generate(scale, seed, data, progress=progress)
    # The demo workspace knows which authority it is, as a real one's ever6.toml would.
    ons_code = ONS_CODES[str(manifest.la_code)]
    (home / "ever6.toml").write_text(f'[authority]\nla_code = "{manifest.la_code}"\nons_code = "{ons_code}"\n')
    settings = with_la_code(settings, str(manifest.la_code))
    settings = replace(settings, authority=replace(settings.authority, ons_code=ons_code))

    with Warehouse(settings.warehouse_path, purpose="the demo build") as wh:
        census_files = sorted((data / "cin_census").glob("cin_census_*.xml"))
        import_sources(wh, settings, "cin-census", census_files, who="demo", progress=progress)
        for year, paths in sorted(_ssda903_years(data / "ssda903").items()):
            import_sources(wh, settings, "ssda903", paths, year=year, who="demo")
        import_sources(
            wh,
            settings,
            "case-management",
            [data / "case_management.csv"],
            mapping=data / "case_management_mapping.toml",
            who="demo",
        )
        for fmt, pattern in _SCHOOL_FILES:
            files = [f for f in sorted(data.glob(pattern)) if fmt != "attendance" or "termly" not in f.name]
            if files:
                import_sources(wh, settings, fmt, files, who="demo", progress=progress)
        as_at = max(date.fromisoformat(d) for d in manifest.reference_dates)
        rows = build_cohort(wh, as_at, settings.cohort)
        run = refresh(wh, settings, as_at, who="demo", progress=progress) if run_refresh else None
        summary = summarise(rows, as_at, settings.cohort.strict)
        return DemoSummary(home, data, len(wh.batches()), summary, run)
