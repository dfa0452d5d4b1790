"""The synthetic authorities the generator's tests read, each generated once a run: generating is
deterministic (``test_synth.py``'s same-seed test generates again and compares every byte), so a
module generating its own copy of the same seed's files proves nothing more. Read them only."""

from __future__ import annotations

from pathlib import Path

import pytest

from ever6.synth import Manifest, generate

TINY_SEED = 7
SMALL_SEED = 11


@pytest.fixture(scope="session")
def tiny_returns(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``tiny``, seed 7."""
    out = tmp_path_factory.mktemp("tiny-returns")
    generate("tiny", TINY_SEED, out)
    return out


@pytest.fixture(scope="session")
def small_generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Manifest]:
    """``small``, seed 11 (20,000 pupils), and the manifest :func:`generate` returned."""
    out = tmp_path_factory.mktemp("small-returns")
    return out, generate("small", SMALL_SEED, out)
