"""``JobWorker``: run Python functions as the job workers of BPMN service tasks and gateways.

::

    client = BatonClient()
    worker = JobWorker(client, concurrency=8)

    @worker.job("charge")                    # the model's job type (zeebe:taskDefinition type)
    def charge(job: Job) -> dict:
        total = job.variables()["total"]
        return {"charged": total}            # process variables set on completion

    worker.run()                             # until SIGINT/SIGTERM

How it works. Locker threads long-poll ``POST /jobs/lock`` with filters built from the registered
handlers (``types`` for :meth:`JobWorker.job`, ``bpmnElementIds`` for :meth:`JobWorker.element`)
and lock only as many jobs as there are free handler threads (at most ``batch`` per request).
``concurrency`` threads run the handlers. A handler's return value completes the job: a dict
sets process variables, a :class:`~client.jobs.Completion` decides a gateway (or carries any
other completion), ``None`` just completes. Raising :class:`BpmnError` completes the job with
a BPMN ``errorCode`` (an error boundary event catches it), :class:`EscalationError` with an
``escalationCode``; any other exception fails the job with its text, and the engine retries it
after ``retry_timer`` while its retry count is below ``retry_limit``, then raises an incident.

Locks are not extended: there is no API for it. A handler that runs longer than
``lock_duration_ms`` may find its job locked again by another worker and its completion refused
(logged as a lost lock). Choose the lock duration above the longest handler run.

Shutdown (SIGINT/SIGTERM under :meth:`JobWorker.run`, or :meth:`JobWorker.stop`): no new lock
requests; jobs already locked but not started are unlocked (``POST /jobs/unlock`` by id); running
handlers may finish within ``grace_period`` seconds. A lock request in flight is waited for (it
ends after at most ``poll_timeout_ms``) so that the jobs it brings are unlocked too. A second
signal stops at once.
"""

from __future__ import annotations

import logging
import os
import queue
import secrets
import signal
import threading
import time
from collections.abc import Callable, Mapping
from types import FrameType, TracebackType
from typing import Any

from client.client import BatonClient
from client.errors import BatonError, Conflict, InvalidRequest, NotFound, Unauthorized
from client.jobs import MAX_ERROR_LENGTH, Completion, Job

log = logging.getLogger(__name__)

Handler = Callable[[Job], "Mapping[str, Any] | Completion | None"]

# The longest a lock request may wait on the server.
MAX_POLL_TIMEOUT_MS = 60_000
# Errors of a lock request that no retry can fix: the worker stops and run() raises them.
_FATAL = (Unauthorized, InvalidRequest, NotFound)


class BpmnError(Exception):
    """Raise in a handler to end the job with a BPMN error ``code`` (caught by an error boundary
    event of the element); ``variables`` are set as process variables."""

    def __init__(self, code: str, message: str | None = None, variables: Mapping[str, Any] | None = None) -> None:
        self.code = code
        self.message = message
        self.variables = dict(variables or {})
        super().__init__(f"BPMN error {code}" + (f": {message}" if message else ""))


class EscalationError(Exception):
    """Raise in a handler to end the job with an escalation ``code`` (caught by an escalation
    boundary event); ``variables`` are set as process variables."""

    def __init__(self, code: str, message: str | None = None, variables: Mapping[str, Any] | None = None) -> None:
        self.code = code
        self.message = message
        self.variables = dict(variables or {})
        super().__init__(f"escalation {code}" + (f": {message}" if message else ""))


def describe(job: Job) -> str:
    """``job 2025-05-01/12 (charge at chargeCard, instance 2025-05-01/7)`` for log lines."""
    kind = job.job_type or job.type
    return (
        f"job {job.partition}/{job.id} ({kind} at {job.bpmn_element_id}, "
        f"instance {job.partition}/{job.process_instance_id})"
    )


class JobWorker:
    """Locks jobs for the registered handlers and runs them on a pool of threads.

    ``worker_id`` identifies this worker's locks (default: the client's worker id, the process id
    and a random suffix; give one only if it is unique per running worker). ``concurrency`` handler threads;
    ``batch`` jobs at most per lock request (default: ``concurrency``); ``lock_duration_ms`` until
    an uncompleted lock expires; ``poll_timeout_ms`` (≤ 60000) a lock request waits for jobs;
    ``retry_limit`` / ``retry_timer`` the policy of failed jobs (``retry_limit=None``: the model's
    ``retries``); ``grace_period`` seconds running handlers get at shutdown.
    """

    def __init__(
        self,
        client: BatonClient,
        worker_id: str | None = None,
        concurrency: int = 4,
        batch: int | None = None,
        lock_duration_ms: int = 60_000,
        poll_timeout_ms: int = 20_000,
        retry_limit: int | None = 3,
        retry_timer: str | None = "PT10S",
        grace_period: float = 30.0,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.client = client
        self.worker_id = worker_id or f"{client.worker_id}-{os.getpid()}-{secrets.token_hex(3)}"[:255]
        # Only an id of our own making may be unlocked wholesale at shutdown.
        self._own_id = worker_id is None
        self.concurrency = concurrency
        self.batch = max(1, min(batch or concurrency, 1000))
        self.lock_duration_ms = lock_duration_ms
        self.poll_timeout_ms = max(0, min(poll_timeout_ms, MAX_POLL_TIMEOUT_MS))
        self.retry_limit = retry_limit
        self.retry_timer = retry_timer
        self.grace_period = grace_period
        self.completed = 0
        self.failed = 0
        self.failure: BatonError | None = None
        self._by_type: dict[str, Handler] = {}
        self._by_element: dict[str, Handler] = {}
        self._stop = threading.Event()
        self._stopped = threading.Event()
        self._shutdown_lock = threading.Lock()
        self._slots = threading.Condition()
        self._free = concurrency
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._running: dict[tuple[str, int], Job] = {}
        self._counts = threading.Lock()
        self._lockers: list[threading.Thread] = []
        self._executors: list[threading.Thread] = []
        self._started = False
        self._signals = 0

    # -- registration ---------------------------------------------------------------------------

    def job(self, *types: str) -> Callable[[Handler], Handler]:
        """Register the decorated function for jobs of these types: the model's job type
        (``zeebe:taskDefinition type``, ``camunda:topic``) or a job kind such as
        ``EVALUATE_EXCLUSIVE_GATEWAY``."""
        if not types:
            raise ValueError("name at least one job type")

        def register(handler: Handler) -> Handler:
            for job_type in types:
                self._by_type[job_type] = handler
            return handler

        return register

    def element(self, *bpmn_element_ids: str) -> Callable[[Handler], Handler]:
        """Register the decorated function for the jobs of these BPMN elements (by element id)."""
        if not bpmn_element_ids:
            raise ValueError("name at least one BPMN element id")

        def register(handler: Handler) -> Handler:
            for element_id in bpmn_element_ids:
                self._by_element[element_id] = handler
            return handler

        return register

    def handler_for(self, job: Job) -> Handler | None:
        """The handler of a job: by element id first, then by the model's job type, then by job kind."""
        for handlers, key in (
            (self._by_element, job.bpmn_element_id),
            (self._by_type, job.job_type),
            (self._by_type, job.type),
        ):
            if key is not None and key in handlers:
                return handlers[key]
        return None

    # -- life cycle -----------------------------------------------------------------------------

    def start(self) -> None:
        """Start locking and executing jobs in background threads; returns at once."""
        if self._started:
            raise RuntimeError("a JobWorker starts once")
        filters: list[dict[str, list[str]]] = []
        if self._by_type:
            filters.append({"types": sorted(self._by_type)})
        if self._by_element:
            # Lock criteria combine with AND, so element ids get a lock request of their own.
            filters.append({"bpmn_element_ids": sorted(self._by_element)})
        if not filters:
            raise RuntimeError("register a handler with @worker.job(...) or @worker.element(...) first")
        self._started = True
        for index in range(self.concurrency):
            thread = threading.Thread(target=self._execute_loop, name=f"baton-job-{index}", daemon=True)
            thread.start()
            self._executors.append(thread)
        for criteria in filters:
            name = "types" if "types" in criteria else "elements"
            thread = threading.Thread(
                target=self._lock_loop, args=(criteria, len(filters)), name=f"baton-lock-{name}", daemon=True
            )
            thread.start()
            self._lockers.append(thread)
        log.info(
            "worker %s started: %d threads, types %s, elements %s",
            self.worker_id,
            self.concurrency,
            sorted(self._by_type),
            sorted(self._by_element),
        )

    def run(self) -> None:
        """Start, then block until SIGINT/SIGTERM (in the main thread) or :meth:`stop`, and shut
        down gracefully. Raises the error that stopped the worker, if one did (e.g.
        :class:`~client.errors.Unauthorized`)."""
        self.start()
        previous: dict[int, Any] = {}
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                previous[signum] = signal.signal(signum, self._on_signal)
        try:
            while not self._stop.wait(0.5):
                pass
            self._shutdown(self.grace_period)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        if self.failure is not None:
            raise self.failure

    def stop(self, grace_period: float | None = None) -> None:
        """Stop gracefully (see the module documentation) and return when done."""
        self._stop.set()
        self._shutdown(self.grace_period if grace_period is None else grace_period)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the worker has stopped; whether it did within ``timeout`` seconds."""
        return self._stopped.wait(timeout)

    @property
    def running(self) -> list[Job]:
        """The jobs whose handlers run right now."""
        with self._counts:
            return list(self._running.values())

    def __enter__(self) -> JobWorker:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._signals += 1
        if self._signals > 1:
            log.warning("worker %s: second signal, stopping at once", self.worker_id)
            raise KeyboardInterrupt
        log.info(
            "worker %s: %s received, finishing running jobs (up to %.0f s; again to stop at once)",
            self.worker_id,
            signal.Signals(signum).name,
            self.grace_period,
        )
        self._stop.set()

    def _shutdown(self, grace_period: float) -> None:
        if not self._shutdown_lock.acquire(blocking=False):
            self._stopped.wait()  # another thread is shutting down
            return
        try:
            with self._slots:
                self._slots.notify_all()
            deadline = time.monotonic() + max(0.0, grace_period)
            for thread in self._lockers:
                thread.join(max(0.0, deadline - time.monotonic()))
            for _ in self._executors:
                self._queue.put(None)
            for thread in self._executors:
                thread.join(max(0.0, deadline - time.monotonic()))
            unfinished = self.running
            if unfinished:
                log.warning(
                    "worker %s: %d handlers still running after the grace period; their locks expire: %s",
                    self.worker_id,
                    len(unfinished),
                    ", ".join(describe(job) for job in unfinished),
                )
            elif self._own_id and self._started and not any(thread.is_alive() for thread in self._lockers):
                # Nothing runs and nothing locks: release whatever is still locked by this worker
                # (e.g. jobs whose lock answer was lost).
                self._unlock(None)
            log.info("worker %s stopped: %d completed, %d failed", self.worker_id, self.completed, self.failed)
        finally:
            self._stopped.set()

    # -- locking ----------------------------------------------------------------------------------

    def _acquire(self, lockers: int) -> int:
        with self._slots:
            while self._free == 0 and not self._stop.is_set():
                self._slots.wait(0.5)
            if self._stop.is_set():
                return 0
            share = self._free if lockers == 1 else max(1, self._free // lockers)
            taken = min(share, self.batch)
            self._free -= taken
            return taken

    def _release(self, count: int) -> None:
        if count <= 0:
            return
        with self._slots:
            self._free += count
            self._slots.notify_all()

    def _lock_loop(self, criteria: dict[str, list[str]], lockers: int) -> None:
        failures = 0
        while not self._stop.is_set():
            slots = self._acquire(lockers)
            if slots == 0:
                break
            try:
                jobs = self.client.jobs.lock(
                    self.worker_id,
                    limit=slots,
                    lock_duration_ms=self.lock_duration_ms,
                    timeout_ms=self.poll_timeout_ms,
                    **criteria,  # type: ignore[arg-type]
                )
                failures = 0
            except _FATAL as exc:
                self._release(slots)
                log.error("worker %s cannot lock jobs, stopping: %s", self.worker_id, exc)
                self.failure = exc
                self._stop.set()
                break
            except BatonError as exc:
                self._release(slots)
                failures += 1
                delay = min(30.0, 0.5 * 2 ** min(failures, 6))
                log.warning("worker %s: lock request failed (again in %.1f s): %s", self.worker_id, delay, exc)
                self._stop.wait(delay)
                continue
            self._release(slots - len(jobs))
            for job in jobs:
                if self._stop.is_set():
                    self._unlock(job)  # locked, never started
                    self._release(1)
                else:
                    log.debug("locked %s", describe(job))
                    self._queue.put(job)

    def _unlock(self, job: Job | None) -> None:
        try:
            count = self.client.jobs.unlock(self.worker_id, job=job)
        except BatonError as exc:
            log.warning("worker %s: unlock failed (the locks expire on their own): %s", self.worker_id, exc)
            return
        if job is not None:
            log.info("unlocked %s (not started)", describe(job))
        elif count:
            log.info("worker %s: released %d locked jobs", self.worker_id, count)

    # -- execution --------------------------------------------------------------------------------

    def _execute_loop(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            try:
                if self._stop.is_set():
                    self._unlock(job)
                else:
                    self.execute(job)
            except Exception:  # a bug here must not kill the thread
                log.exception("worker %s: unexpected error around %s", self.worker_id, describe(job))
            finally:
                self._release(1)

    def execute(self, job: Job) -> None:
        """Run the job's handler and complete or fail the job with its outcome (this is what each
        handler thread does; call it directly to run a job you locked yourself)."""
        handler = self.handler_for(job)
        if handler is None:
            log.warning("no handler for %s; unlocking it", describe(job))
            self._unlock(job)
            return
        key = (job.partition.isoformat(), job.id)
        with self._counts:
            self._running[key] = job
        started = time.monotonic()
        try:
            self._finish(job, handler)
        finally:
            with self._counts:
                self._running.pop(key, None)
            log.debug("%s took %.3f s", describe(job), time.monotonic() - started)

    def _finish(self, job: Job, handler: Handler) -> None:
        jobs = self.client.jobs
        try:
            try:
                result = handler(job)
            except BpmnError as exc:
                log.info(
                    "%s ended with BPMN error %s%s", describe(job), exc.code, f": {exc.message}" if exc.message else ""
                )
                jobs.complete(job, self.worker_id, variables=exc.variables, completion=Completion(error_code=exc.code))
            except EscalationError as exc:
                log.info("%s escalated %s", describe(job), exc.code)
                jobs.complete(
                    job, self.worker_id, variables=exc.variables, completion=Completion(escalation_code=exc.code)
                )
            except Exception as exc:
                log.warning("%s failed: %s: %s", describe(job), type(exc).__name__, exc, exc_info=True)
                jobs.fail(
                    job,
                    self.worker_id,
                    error=f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH],
                    retry_limit=self.retry_limit,
                    retry_timer=self.retry_timer,
                )
                self._count(failed=1)
                return
            else:
                if isinstance(result, Completion):
                    jobs.complete(job, self.worker_id, completion=result)
                elif result is None or isinstance(result, Mapping):
                    jobs.complete(job, self.worker_id, variables=result)
                else:
                    message = f"handler returned {type(result).__name__}, expected a dict, a Completion or None"
                    log.error("%s: %s", describe(job), message)
                    jobs.fail(job, self.worker_id, error=message, retry_limit=0)
                    self._count(failed=1)
                    return
            self._count(completed=1)
            log.debug("completed %s", describe(job))
        except Conflict as exc:
            log.warning("%s: lock lost (it expired and the job was locked again?): %s", describe(job), exc)
        except BatonError as exc:
            log.error("%s: completion not accepted: %s", describe(job), exc)

    def _count(self, completed: int = 0, failed: int = 0) -> None:
        with self._counts:
            self.completed += completed
            self.failed += failed
