"""Queues to a worker process that never hold up this process's exit."""

from __future__ import annotations

from typing import Any


def worker_queue(ctx: Any, maxsize: int = 0) -> Any:
    """A multiprocessing queue to one worker whose unsent items are dropped at exit.

    A worker that died or stopped reading leaves the queue's feeder thread blocked on a full pipe (this process holds
    the pipe's read end too, so the write never fails); at exit multiprocessing would join that thread forever: the CI
    run that timed out after its summary. Items for a gone worker are worthless: do not wait for them."""
    queue = ctx.Queue(maxsize=maxsize)
    queue.cancel_join_thread()
    return queue
