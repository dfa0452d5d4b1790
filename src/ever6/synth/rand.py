"""Fast scalar draws from a seeded numpy Generator.

The social-care simulation is a per-child Python loop that needs millions of scalar draws;
calling the Generator once per draw costs about a microsecond each, so draws are taken from
blocks pre-drawn from the same seeded Generator. Everything stays deterministic for a seed.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate
from typing import Generic, TypeVar

import numpy as np

T = TypeVar("T")

_BLOCK = 1 << 16


class Draws:
    """Buffered uniform and normal draws; all other distributions derive from them."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._u: list[float] = []
        self._n: list[float] = []

    def u(self) -> float:
        """A uniform draw in [0, 1)."""
        if not self._u:
            self._u = self._rng.random(_BLOCK).tolist()
        return self._u.pop()

    def normal(self) -> float:
        if not self._n:
            self._n = self._rng.standard_normal(_BLOCK).tolist()
        return self._n.pop()

    def chance(self, p: float) -> bool:
        return self.u() < p

    def int(self, low: int, high: int) -> int:
        """An integer in [low, high] inclusive."""
        return low + int(self.u() * (high - low + 1))

    def exp(self, mean: float) -> float:
        return -mean * math.log(1.0 - self.u())

    def lognormal(self, median: float, sigma: float) -> float:
        return median * math.exp(sigma * self.normal())

    def pick(self, items: Sequence[T]) -> T:
        return items[int(self.u() * len(items))]

    def weighted(self, table: WeightedTable[T]) -> T:
        return table.items[bisect_right(table.cumulative, self.u() * table.total)]


class WeightedTable(Generic[T]):
    """Items with relative weights, prepared once for repeated weighted picks."""

    def __init__(self, pairs: Sequence[tuple[T, float]]) -> None:
        self.items: list[T] = [item for item, _ in pairs]
        self.cumulative: list[float] = list(accumulate(w for _, w in pairs))
        self.total: float = self.cumulative[-1]
