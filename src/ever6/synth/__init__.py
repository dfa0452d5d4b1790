"""A seeded, realistic synthetic local authority, with the ground truth kept apart.

``generate(scale, seed, out)`` writes schools, pupils, CIN census XML (2020-2026), SSDA903 CSVs
(2021-2026), a case-management extract with its column mapping, and ``out/truth/`` (children
and the Ever6 CWSW cohort at two reference dates), plus ``manifest.json``.
"""

from __future__ import annotations

from ever6.synth.generator import FileEntry, Manifest, generate
from ever6.synth.scales import SCALES, Scale

__all__ = ["SCALES", "FileEntry", "Manifest", "Scale", "generate"]
