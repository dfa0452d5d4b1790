"""The published figures column at a time (measures.values_of) are value_of's, to the last bit."""

from __future__ import annotations

import math
import random

import pytest

from ever6.metrics.measures import MEASURES, value_of, values_of

KINDS = {m.kind: m for m in MEASURES if m.denominator} | {m.kind: m for m in MEASURES if not m.denominator}


def _pairs() -> tuple[list[float], list[float]]:
    rng = random.Random(22)
    nums, dens = [], []
    # Sums of sessions and pupils (integers), small and large, and points (fractions).
    for _ in range(20_000):
        den = float(rng.choice([rng.randint(0, 40), rng.randint(1, 5_000_000)]))
        nums.append(float(rng.randint(0, int(den) or 3)))
        dens.append(den)
    for _ in range(5_000):
        nums.append(round(rng.uniform(0, 900), 6))
        dens.append(float(rng.randint(1, 30)))
    # Exact halves at one decimal place (6.25, 0.05 ...), values whose product by 10 is a rounding
    # away from a half, zeros, a negative zero, no number, and sizes where every double is an integer.
    for num, den in [(1, 16), (1, 2000), (1, 8), (3, 16), (7, 80), (2.675, 1), (1.005, 1), (0.15, 1), (0.35, 1)]:
        nums.append(float(num))
        dens.append(float(den))
    nums += [0.0, 5.0, 5.0, math.nan, 3.0, 1e300, 2.0**60, -1.0]
    dens += [0.0, -0.0, math.nan, 4.0, 1e-300, 3.0, 1.0, 3.0]
    return nums, dens


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_figure_is_value_of(kind: str) -> None:
    measure = KINDS[kind]
    nums, dens = _pairs()
    if measure.scale != 1 or measure.denominator:
        # Numerators scaled so that x * 10 lands on and near every half: 0.05, 0.15 ... per scale.
        halves = [sign * k / 20 / measure.scale for k in range(1, 2_000, 2) for sign in (1, -1)]
        nums += halves
        dens += [1.0] * len(halves)
    got = values_of(measure, nums, dens if measure.denominator else None)
    want = [value_of(measure, n, d if measure.denominator else None) for n, d in zip(nums, dens, strict=True)]
    assert len(got) == len(want)
    # repr tells every double apart (a negative zero too), and None and NaN from the numbers.
    for g, w, n, d in zip(got, want, nums, dens, strict=True):
        assert repr(g) == repr(w), (kind, n, d, g, w)


def test_rates_round_half_to_even_on_the_exact_value() -> None:
    rate = next(m for m in MEASURES if m.kind == "rate")
    # 1/16 = 6.25% exactly: to the even 6.2; 1/8 = 12.5%; 1/3 = 33.3%; no denominator: no figure.
    assert values_of(rate, [1.0, 1.0, 1.0, 1.0], [16.0, 8.0, 3.0, 0.0]) == [6.2, 12.5, 33.3, None]
