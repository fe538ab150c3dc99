"""Re-analysis of stored recordings as jobs: on rq over Redis (any node's worker takes them), or in-process.

Why rq: a job here is one plain, CPU-bound, synchronous function (decode a recording, OCR it, attach findings);
rq runs each job in a forked work horse (a crash or a leak in OCR ends with the job, not with the worker), needs
nothing but the Redis the cluster already has, and gives what the feature asks for out of the box: job ids we
choose (the idempotency key), per-job metadata (the progress), retries with back-off, and failed-job registries.
arq is asyncio-only (the work is not), dramatiq's results and progress need extra middleware, Celery is a platform.

Exactly once: the job id is derived from the recording and the reader version (package version + languages + the
catalog, technicians' edits included), so submitting again while a job exists returns that job; a failed one is
re-queued under the same id. The job attaches only codes the ticket does not have, under a per-recording lock
(a Redis lock across nodes; a thread lock in-process), so a retry after a crash half-way, or two reader versions
running at once, never attach a code twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Literal

from atrest.sealed import AtRestKey
from diagnostics.catalog import Catalog, load_catalogs
from diagnostics.config import DiagnosticsConfig

log = logging.getLogger(__name__)

QUEUE_NAME = "lensdesk-reanalysis"
JOB_FUNCTION = "reanalysis.jobs.run_job"
RETRY_INTERVALS_S = (10, 60, 300)  # three more attempts after a failure
JOB_TIMEOUT_S = 3600
KEEP_RESULTS_S = 7 * 24 * 3600
JobStatus = Literal["queued", "running", "done", "failed"]


@dataclass(frozen=True)
class JobView:
    """A re-analysis job as the API and the CLI show it."""

    id: str
    recording: str  # the recording file's path
    status: JobStatus
    progress: float  # 0..1 of the recording read
    attempts: int = 0
    attached: list[str] = field(default_factory=list)  # codes this job attached to the ticket
    already_known: list[str] = field(default_factory=list)  # codes the ticket had already
    ticket_id: str | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {"id": self.id, "recording": self.recording, "status": self.status, "progress": self.progress,
                "attempts": self.attempts, "attached": self.attached, "already_known": self.already_known,
                "ticket_id": self.ticket_id, "error": self.error}


@dataclass(frozen=True)
class ReanalysisSetup:
    """What a re-analysis needs of the node it runs on (the root builds it from Settings)."""

    database_url: str
    data_dir: Path  # resolved
    diagnostics: DiagnosticsConfig  # the reader, as the node reads live video
    at_rest_key: AtRestKey | None = None
    redis_url: str | None = None  # rq over Redis when set, else jobs run in this process
    node_id: str = ""


async def server_catalog(setup: ReanalysisSetup) -> Catalog:
    """The catalog a node reads with: built-in, the extra directory, and the technicians' edits in the database."""
    from nodesync.catalogs import catalog_of_database

    config = setup.diagnostics
    loaded = await asyncio.to_thread(load_catalogs, config.catalog_path, config.extra_catalog_dir)
    return await catalog_of_database(setup.database_url, setup.data_dir, loaded.catalog)


def reader_version(setup: ReanalysisSetup, catalog: Catalog) -> str:
    """Changes when what a re-analysis would find can change: the software, the OCR languages, the catalog."""
    try:
        software = version("lensdesk")
    except PackageNotFoundError:
        software = "source"
    digest = hashlib.blake2b(digest_size=8)
    config = setup.diagnostics
    digest.update(f"{software}\0{config.languages}\0{config.second_recogniser}\0{config.line_detector}\0".encode())
    for entry in sorted(catalog, key=lambda e: repr(e.key)):
        digest.update(repr(entry).encode())
    return digest.hexdigest()


def job_id(recording: str, reader: str) -> str:
    """The idempotency key of re-reading one recording with one reader version."""
    return "reanalysis-" + hashlib.blake2b(f"{recording}\0{reader}".encode(), digest_size=12).hexdigest()


def reanalyse(setup: ReanalysisSetup, recording: str, on_progress: Callable[[float], None],
              recording_lock: Callable[[str], contextlib.AbstractContextManager[object]]) -> dict[str, Any]:
    """The job's body: read the recording with the server's catalog, attach what its ticket lacks; a summary."""
    from .attach import attach_to_ticket
    from .files import analyze_file

    if not Path(recording).is_file():
        raise FileNotFoundError(f"{recording}: no such file (erased, or not on this node's data dir?)")
    catalog = asyncio.run(server_catalog(setup))
    findings = analyze_file(Path(recording), setup.diagnostics, catalog=catalog, key=setup.at_rest_key,
                            on_progress=on_progress)
    with recording_lock(recording):
        outcome = asyncio.run(attach_to_ticket(setup.database_url, setup.data_dir, setup.at_rest_key,
                                               Path(recording), findings))
    on_progress(1.0)
    return {"ticket_id": outcome.ticket_id, "attached": outcome.attached, "already_known": outcome.already_known}


def _throttled(report: Callable[[float], None], step: float = 0.02) -> Callable[[float], None]:
    """Report progress only when it moved by `step` (each report is a Redis write)."""
    last = [-1.0]

    def on_progress(value: float) -> None:
        if value >= 1.0 or value - last[0] >= step:
            last[0] = value
            report(round(value, 3))

    return on_progress


# -- rq over Redis ------------------------------------------------------------------------------------------------

_worker_setup: ReanalysisSetup | None = None  # set by run_worker in the worker process; work horses inherit it


def run_job(recording: str) -> dict[str, Any]:
    """rq entry point (runs in a worker's work horse): the job's setup is the worker's, never in Redis."""
    from rq import get_current_job

    if _worker_setup is None:
        raise RuntimeError("run_job runs in a `lensdesk reanalysis worker` process")
    setup = _worker_setup
    job = get_current_job()
    assert job is not None

    def report(value: float) -> None:
        job.meta["progress"] = value
        job.save_meta()

    def lock(path: str) -> contextlib.AbstractContextManager[object]:
        key = "lensdesk:reanalysis-lock:" + hashlib.blake2b(path.encode(), digest_size=12).hexdigest()
        return job.connection.lock(key, timeout=JOB_TIMEOUT_S, blocking_timeout=JOB_TIMEOUT_S)

    return reanalyse(setup, recording, _throttled(report), lock)


class RedisJobs:
    """Re-analysis jobs on rq; any node submits, any node's worker runs them."""

    def __init__(self, redis_url: str) -> None:
        from redis import Redis
        from rq import Queue

        self._redis = Redis.from_url(redis_url)
        self._queue = Queue(QUEUE_NAME, connection=self._redis)

    def submit(self, recording: str, reader: str) -> JobView:
        """Queue a re-analysis, or return the job that already has this key (a failed one is queued again)."""
        from rq import Retry
        from rq.exceptions import NoSuchJobError
        from rq.job import Job

        key = job_id(recording, reader)
        try:
            job = Job.fetch(key, connection=self._redis)
        except NoSuchJobError:
            job = None
        if job is not None:
            if job.get_status(refresh=False) in ("failed", "stopped", "canceled"):
                job.meta["progress"] = 0.0
                job.save_meta()
                job.requeue()
            return self._view(job)
        job = self._queue.enqueue(JOB_FUNCTION, recording, job_id=key, retry=Retry(max=len(RETRY_INTERVALS_S),
                                  interval=list(RETRY_INTERVALS_S)), job_timeout=JOB_TIMEOUT_S,
                                  result_ttl=KEEP_RESULTS_S, failure_ttl=KEEP_RESULTS_S,
                                  meta={"recording": recording, "progress": 0.0})
        return self._view(job)

    def get(self, key: str) -> JobView | None:
        """A job by id, or None."""
        from rq.exceptions import NoSuchJobError
        from rq.job import Job

        if not key.startswith("reanalysis-"):
            return None
        try:
            return self._view(Job.fetch(key, connection=self._redis))
        except NoSuchJobError:
            return None

    def _view(self, job: Any) -> JobView:
        raw = job.get_status(refresh=True)
        status = str(getattr(raw, "value", raw))  # rq's JobStatus is a str Enum: str() of it is "JobStatus.X"
        meta = job.get_meta(refresh=True)
        mapped: JobStatus = {"finished": "done", "started": "running", "failed": "failed", "stopped": "failed",
                             "canceled": "failed"}.get(status, "queued")  # type: ignore[assignment]
        result = job.return_value(refresh=True) if mapped == "done" else None
        error = None
        if mapped == "failed" or (mapped == "queued" and job.retries_left is not None
                                  and job.retries_left < len(RETRY_INTERVALS_S)):
            latest = job.latest_result()
            error = (latest.exc_string or "").strip().splitlines()[-1:] if latest is not None else None
        result = result or {}
        retries_left = job.retries_left if job.retries_left is not None else len(RETRY_INTERVALS_S)
        return JobView(job.id, meta.get("recording", ""), mapped, float(meta.get("progress", 0.0)),
                       attempts=len(RETRY_INTERVALS_S) - retries_left + (1 if mapped in ("running", "done", "failed")
                                                                           else 0),
                       attached=list(result.get("attached", [])), already_known=list(result.get("already_known", [])),
                       ticket_id=result.get("ticket_id"), error=error[0] if error else None)

    def close(self) -> None:
        """Close the Redis connection pool."""
        self._redis.close()


def run_worker(setup: ReanalysisSetup, *, burst: bool = False, fork: bool = True) -> None:
    """Run an rq worker on the re-analysis queue (`lensdesk reanalysis worker`); burst: stop when it is empty."""
    from redis import Redis
    from rq import Queue, SimpleWorker, Worker

    if not setup.redis_url:
        raise ValueError("a re-analysis worker needs Redis (LENSDESK_REDIS_URL)")
    global _worker_setup
    _worker_setup = setup
    redis = Redis.from_url(setup.redis_url)
    worker_class = Worker if fork else SimpleWorker
    worker = worker_class([Queue(QUEUE_NAME, connection=redis)], connection=redis,
                          name=f"{setup.node_id or 'lensdesk'}-reanalysis-{int(time.time())}")
    worker.work(burst=burst, with_scheduler=True, logging_level="WARNING")


# -- in-process (embedded mode, no Redis) -------------------------------------------------------------------------


@dataclass
class _LocalJob:
    view: JobView


class LocalJobs:
    """The same jobs in this process: one worker thread, the same retries, state lost on restart."""

    def __init__(self, setup: ReanalysisSetup, retry_intervals_s: tuple[float, ...] = RETRY_INTERVALS_S) -> None:
        self._setup = setup
        self._retry_intervals = retry_intervals_s
        self._jobs: dict[str, _LocalJob] = {}
        self._lock = threading.Lock()
        self._recording_locks: dict[str, threading.Lock] = {}
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reanalysis")

    def submit(self, recording: str, reader: str) -> JobView:
        """Queue a re-analysis, or return the job that already has this key (a failed one is queued again)."""
        key = job_id(recording, reader)
        with self._lock:
            job = self._jobs.get(key)
            if job is not None and job.view.status != "failed":
                return job.view
            view = JobView(key, recording, "queued", 0.0)
            self._jobs[key] = _LocalJob(view)
        self._pool.submit(self._run, key)
        return view

    def get(self, key: str) -> JobView | None:
        """A job by id, or None."""
        job = self._jobs.get(key)
        return job.view if job is not None else None

    def _update(self, key: str, **changes: Any) -> None:
        with self._lock:
            job = self._jobs[key]
            job.view = JobView(**{**job.view.__dict__, **changes})

    @contextlib.contextmanager
    def _recording_lock(self, path: str) -> Iterator[None]:
        with self._lock:
            lock = self._recording_locks.setdefault(path, threading.Lock())
        with lock:
            yield

    def _run(self, key: str) -> None:
        recording = self._jobs[key].view.recording
        for attempt in range(1, len(self._retry_intervals) + 2):
            self._update(key, status="running", attempts=attempt, progress=0.0)
            try:
                summary = reanalyse(self._setup, recording,
                                    _throttled(lambda value: self._update(key, progress=value)), self._recording_lock)
            except Exception as exc:  # recorded on the job; retried, then failed
                log.warning("re-analysis %s of %s failed (attempt %d): %s", key, recording, attempt, exc)
                self._update(key, error=str(exc) or type(exc).__name__)
                if attempt <= len(self._retry_intervals):
                    time.sleep(self._retry_intervals[attempt - 1])
                    continue
                self._update(key, status="failed")
                return
            self._update(key, status="done", progress=1.0, error=None, ticket_id=summary["ticket_id"],
                         attached=summary["attached"], already_known=summary["already_known"])
            return

    def close(self) -> None:
        """Stop taking jobs (running ones finish)."""
        self._pool.shutdown(wait=False, cancel_futures=True)


class ReanalysisService:
    """What the API needs: submit a recording (with the current reader version) and read a job, without blocking."""

    def __init__(self, setup: ReanalysisSetup, jobs: RedisJobs | LocalJobs) -> None:
        self._setup = setup
        self.jobs = jobs

    async def submit(self, recording_path: str) -> dict[str, Any]:
        """Queue (or find) the re-analysis of one recording file with today's reader."""
        reader = reader_version(self._setup, await server_catalog(self._setup))
        return (await asyncio.to_thread(self.jobs.submit, recording_path, reader)).as_dict()

    async def get(self, key: str) -> dict[str, Any] | None:
        """A job's state, or None."""
        view = await asyncio.to_thread(self.jobs.get, key)
        return view.as_dict() if view is not None else None

    def close(self) -> None:
        """Release the queue's resources."""
        self.jobs.close()


def reanalysis_service(setup: ReanalysisSetup) -> ReanalysisService:
    """rq over the cluster's Redis when there is one, else the in-process runner."""
    return ReanalysisService(setup, RedisJobs(setup.redis_url) if setup.redis_url else LocalJobs(setup))
