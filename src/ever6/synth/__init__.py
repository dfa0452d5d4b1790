"""A seeded, realistic synthetic local authority, with the ground truth kept apart.

``generate(scale, seed, out)`` writes schools, pupils, CIN census XML (2020-2026), SSDA903 CSVs
(2021-2026), a case-management extract with its column mapping, school data (attendance marks
for 2025/26 to date and termly totals for 2024/25 under ``out/attendance/``, ``exclusions.csv``,
``attainment.csv``), and ``out/truth/`` (children, the Ever6 CWSW cohort at two reference dates,
and the generator's own headline measures), plus ``manifest.json``.
"""

from __future__ import annotations

from ever6.synth.generator import FileEntry, Manifest, generate
from ever6.synth.scales import SCALES, Scale

__all__ = ["SCALES", "FileEntry", "Manifest", "Scale", "generate"]
