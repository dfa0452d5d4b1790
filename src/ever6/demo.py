"""The demo: a synthetic local authority built into a fresh workspace and run end to end.

It performs the same steps a data manager would with real files (import the CIN census files,
the SSDA903 returns and the case-management extract, then build the cohort), so the demo also
shows that those steps work together.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from ever6.config import LocalitySettings, Settings, with_la_code
from ever6.errors import Refused
from ever6.formats import FORMATS, Format, Kind
from ever6.publish.imports import Progress, import_sources
from ever6.publish.pipeline import CohortSummary, build_cohort, refresh, summarise
from ever6.synth import generate
from ever6.synth.names import postcode_units
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


def _batches(fmt: Format, folder: Path) -> list[tuple[list[Path], int | None]]:
    """The synthetic authority's files of ``fmt``, as the imports a data manager would make: all
    at once for a format read one file per batch; else one import per year, with that year for a
    format that takes one (the year is the first four digits in the file's name)."""
    files = sorted(folder.glob(fmt.synthetic)) if fmt.synthetic else []
    if not fmt.one_batch:
        return [(files, None)] if files else []
    years: dict[int, list[Path]] = {}
    for path in files:
        match = re.search(r"\d{4}", path.name)
        if match:
            years.setdefault(int(match.group()), []).append(path)
    return [(paths, year if fmt.year else None) for year, paths in sorted(years.items())]


# Royal Mail's postcode areas of the synthetic authority and its neighbours: the demo's localities.
_AREA_NAMES = {"BR": "Bromley", "CT": "Canterbury", "DA": "Dartford", "ME": "Rochester", "TN": "Tonbridge"}


def demo_localities(ons_code: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The demo's ``[localities]``: the authority's real postcode districts, grouped by postcode
    area (CT1 ... CT21 are "Canterbury area (CT)"), as an authority might group its own."""
    by_area: dict[str, set[str]] = {}
    for unit in postcode_units(ons_code):
        district = unit.split(" ")[0]
        by_area.setdefault(re.match(r"[A-Z]+", district).group(), set()).add(district)  # type: ignore[union-attr]
    return tuple(
        (f"{_AREA_NAMES.get(area, area)} area ({area})", tuple(sorted(districts, key=lambda d: (len(d), d))))
        for area, districts in sorted(by_area.items())
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
    areas = demo_localities(ons_code)
    localities = "\n".join(f"{json.dumps(name)} = {json.dumps(list(districts))}" for name, districts in areas)
    # Kinship care and early help switched on, so that their groups have figures to show.
    (home / "ever6.toml").write_text(
        "[cohort]\nkinship = true\nearly_help = true\n\n"
        f'[authority]\nla_code = "{manifest.la_code}"\nons_code = "{ons_code}"\n\n[localities.areas]\n{localities}\n'
    )
    settings = with_la_code(settings, str(manifest.la_code))
    settings = replace(
        settings,
        cohort=replace(settings.cohort, kinship=True, early_help=True),
        authority=replace(settings.authority, ons_code=ons_code),
        localities=LocalitySettings(areas=areas),
    )

    with Warehouse(settings.warehouse_path, purpose="the demo build") as wh:
        # As an authority starts: social care, then the school and pupil registers, then the
        # education data (Kind's order; the registry's order within each kind).
        for fmt in sorted(FORMATS.values(), key=lambda f: list(Kind).index(f.kind)):
            # The synthetic authority writes a mapping beside a format's file where a real
            # extract would need one (its column names are not the canonical ones).
            mapping = data / f"{fmt.name.replace('-', '_')}_mapping.toml"
            for files, year in _batches(fmt, data):
                import_sources(
                    wh,
                    settings,
                    fmt.name,
                    files,
                    mapping=mapping if fmt.mapping and mapping.exists() else None,
                    year=year,
                    who="demo",
                    progress=progress,
                )
        as_at = max(date.fromisoformat(d) for d in manifest.reference_dates)
        rows = build_cohort(wh, as_at, settings.cohort)
        run = refresh(wh, settings, as_at, who="demo", progress=progress) if run_refresh else None
        summary = summarise(rows, as_at, settings.cohort.strict)
        return DemoSummary(home, data, len(wh.batches()), summary, run)
