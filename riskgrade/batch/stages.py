"""Stages of a batch run, each in a thread of its own: :func:`ahead`."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
_END: Any = object()


def ahead(items: Iterator[T]) -> Generator[T, None, None]:
    """``items`` in order, the next one made in a thread while the caller works on this one
    (Polars lets go of the interpreter, so the stages share the cores; the iterator only ever
    moves in that one thread). However it ends, ``items`` is closed once the thread is done,
    so that the stages before it end too.

    >>> list(ahead(iter(range(3))))
    [0, 1, 2]
    """
    try:
        with ThreadPoolExecutor(1, thread_name_prefix="riskgrade-read") as worker:
            pending = worker.submit(next, items, _END)
            while (item := pending.result()) is not _END:
                pending = worker.submit(next, items, _END)
                yield item
    finally:
        if isinstance(items, Generator):
            items.close()
