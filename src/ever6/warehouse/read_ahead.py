"""Read a stream of batches one step ahead, in a thread of its own.

A streamed import is a pipeline of two halves that each hold one core: the reader (parsing,
checking and hashing the file) and DuckDB (writing the rows). Pulled from inside DuckDB's scan,
the reader would run only while DuckDB waits; read ahead, it parses the next block while DuckDB
writes this one. The work is the same, the wall time shorter. Memory grows by ``depth`` batches.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Generic, TypeVar

T = TypeVar("T")

_POLL_SECONDS = 0.1


class ReadAhead(Generic[T]):
    """Iterates over ``items`` as they are produced by a thread reading up to ``depth`` ahead.

    An exception raised by ``items`` is raised here, where the item would have been. Closing
    (or leaving a ``with`` block) stops the thread and waits for it, so that whatever ``items``
    changes on the way (a reader's problems) is complete and not changed any more.
    """

    def __init__(self, items: Iterator[T], depth: int = 2) -> None:
        self._items = items
        self._queue: queue.Queue[tuple[str, object]] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._produce, name="ever6-read-ahead", daemon=True)
        self._thread.start()

    def _put(self, kind: str, value: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put((kind, value), timeout=_POLL_SECONDS)
            except queue.Full:
                continue
            return True
        return False

    def _produce(self) -> None:
        try:
            for item in self._items:
                if not self._put("item", item):
                    return
        except BaseException as exc:  # handed to the consumer, raised where the item would have been
            self._put("error", exc)
            return
        self._put("end", None)

    def __iter__(self) -> Iterator[T]:
        while True:
            kind, value = self._queue.get()
            if kind == "end":
                return
            if kind == "error":
                assert isinstance(value, BaseException)
                raise value
            yield value  # type: ignore[misc]

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        close = getattr(self._items, "close", None)
        if close is not None:  # a generator stopped part-way: its clean-up (files) runs now
            close()

    def __enter__(self) -> ReadAhead[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
