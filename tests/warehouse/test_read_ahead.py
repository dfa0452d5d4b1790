"""Reading a stream ahead in a thread: same items, same order, errors where they happened."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ever6.warehouse.read_ahead import ReadAhead


def test_items_arrive_in_order_and_an_error_where_it_happened() -> None:
    def items() -> Iterator[int]:
        yield from range(5)
        raise OSError("the disk went away")

    with ReadAhead(items(), depth=2) as ahead:
        stream = iter(ahead)
        assert [next(stream) for _ in range(5)] == [0, 1, 2, 3, 4]
        with pytest.raises(OSError, match="disk went away"):
            next(stream)


def test_closing_part_way_stops_the_thread_and_closes_the_stream() -> None:
    closed: list[bool] = []

    def items() -> Iterator[int]:
        try:
            yield from range(1000)
        finally:
            closed.append(True)

    ahead = ReadAhead(items(), depth=1)
    stream = iter(ahead)
    assert next(stream) == 0
    ahead.close()
    assert closed == [True]
    assert not ahead._thread.is_alive()
