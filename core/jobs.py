"""Background jobs: one interface, two runners.

A :class:`Job` is a named coroutine function ``fn(ctx, **kwargs)`` plus, for periodic
jobs, a cron expression. Core and plugins declare jobs through the ``register_jobs``
hook. Callers enqueue by name **after their transaction has committed**::

    await jobs.enqueue("core.deliver_notification", key=f"deliver:{nid}", notification=nid)

- Embedded default (no ``HOUQIN_REDIS_URL``): :class:`InProcessRunner`, an asyncio
  queue inside the web process; cron jobs run from the same process.
- Scaled (``HOUQIN_REDIS_URL`` set): :class:`SaqRunner`, SAQ on Redis configured through
  litestar-saq. Web processes only enqueue; ``houqin worker`` processes run the jobs and
  the cron schedule (SAQ makes a cron run unique per queue, so N workers run it once).

Jobs must be idempotent: a job may run twice (a retry after a timeout, a cron tick seen
by two embedded processes), so every job re-reads the database and changes rows with
conditional updates. A failing job is retried with backoff and never fails a user's
request.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.config import Settings
    from core.plugins import PluginRegistry

log = logging.getLogger("houqin.jobs")

QUEUE_NAME = "houqin"
Item = tuple[str, dict[str, Any], str | None, int]  # name, kwargs, key, attempt


@dataclass(frozen=True)
class Job:
    """A background job: ``function(ctx, **kwargs)``; ``cron`` makes it periodic.

    ``name`` is unique and dotted with the owner's slug (``core.sla_watch``,
    ``repairs.maintenance``). Arguments must be JSON values (ids, not rows).
    """

    name: str
    function: Callable[..., Awaitable[Any]]
    cron: str | None = None
    retries: int = 3
    timeout: int = 120
    description: str = ""


@dataclass
class JobContext:
    """What a job may use besides the database (the engine is global, as for pages)."""

    settings: Settings
    registry: PluginRegistry
    # Tell open pages of a request that it changed: (org_id, request number).
    announce: Callable[[int, str], Awaitable[None]] = field(default=lambda o, n: _nothing())


async def _nothing() -> None:
    return None


class UnknownJob(LookupError):
    """A job name nobody registered (a typo in an enqueue call)."""


def collect_jobs(registry: PluginRegistry) -> dict[str, Job]:
    """Every job of every installed plugin (core included), by name; names must be unique."""
    found: dict[str, Job] = {}
    for batch in registry.pm.hook.register_jobs():
        for job in batch or ():
            if job.name in found:
                raise ValueError(f"two jobs are named {job.name!r}")
            found[job.name] = job
    return found


class JobRunner:
    """Base of the runners: enqueue by name, start and stop with the process."""

    def __init__(self, jobs: Iterable[Job], context: JobContext) -> None:
        self.jobs = {job.name: job for job in jobs}
        self.context = context

    def job(self, name: str) -> Job:
        try:
            return self.jobs[name]
        except KeyError:
            raise UnknownJob(name) from None

    async def enqueue(
        self, name: str, *, key: str | None = None, delay: float = 0.0, **kwargs: Any
    ) -> None:
        raise NotImplementedError

    async def start(self) -> None:
        """Begin running jobs (and the cron schedule, where this runner owns it)."""

    async def stop(self) -> None:
        """Stop taking work; running jobs get a moment to finish."""


async def run_once(job: Job, context: JobContext, kwargs: dict[str, Any]) -> Any:
    """Run one attempt of ``job`` with its timeout."""
    return await asyncio.wait_for(job.function(context, **kwargs), timeout=job.timeout)


class InProcessRunner(JobRunner):
    """Jobs on the web process's own event loop (the embedded default).

    A key already queued or running is not queued twice. Failures are retried with
    exponential backoff (1 s, 2 s, 4 s …) up to ``Job.retries`` times, then logged.
    """

    def __init__(
        self,
        jobs: Iterable[Job],
        context: JobContext,
        *,
        concurrency: int = 2,
        cron: bool = True,
        backoff: float = 1.0,
    ) -> None:
        super().__init__(jobs, context)
        self.concurrency = concurrency
        self.cron = cron
        self.backoff = backoff
        self._queue: asyncio.Queue[Item] = asyncio.Queue()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._keys: set[str] = set()
        self._pending = 0  # queued, running or waiting to retry
        self._tasks: list[asyncio.Task[None]] = []
        self._later: set[asyncio.Task[None]] = set()
        self.failures: list[tuple[str, str]] = []  # (job name, error) after the last retry

    async def enqueue(
        self, name: str, *, key: str | None = None, delay: float = 0.0, **kwargs: Any
    ) -> None:
        self.job(name)
        if key is not None:
            if key in self._keys:
                return
            self._keys.add(key)
        self._pending += 1
        item = (name, kwargs, key, 0)
        loop = self._loop
        if loop is not None and loop is not asyncio.get_running_loop():
            # Called from another thread's loop (a test client's portal): hand it over.
            loop.call_soon_threadsafe(self._defer, delay, item)
        else:
            self._defer(delay, item)

    def _defer(self, delay: float, item: Item) -> None:
        if delay <= 0:
            self._queue.put_nowait(item)
            return

        async def later() -> None:
            await asyncio.sleep(delay)
            self._queue.put_nowait(item)

        task = asyncio.get_running_loop().create_task(later())
        self._later.add(task)
        task.add_done_callback(self._later.discard)

    async def start(self) -> None:
        loop = self._loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._work()) for _ in range(self.concurrency)]
        if self.cron:
            self._tasks += [
                loop.create_task(self._tick(job)) for job in self.jobs.values() if job.cron
            ]

    async def stop(self) -> None:
        for task in [*self._tasks, *self._later]:
            task.cancel()
        await asyncio.gather(*self._tasks, *self._later, return_exceptions=True)
        self._tasks = []
        self._loop = None

    async def drain(self, seconds: float = 10.0) -> None:
        """Wait until every queued job (retries included) has finished; for tests."""
        async with asyncio.timeout(seconds):
            # Polled, not an Event: the caller may be on another loop than the runner.
            while self._pending:  # noqa: ASYNC110
                await asyncio.sleep(0.01)

    async def _work(self) -> None:
        while True:
            name, kwargs, key, attempt = await self._queue.get()
            job = self.jobs[name]
            try:
                await run_once(job, self.context, kwargs)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if attempt < job.retries:
                    log.warning("job %s failed (attempt %d), retrying: %r", name, attempt + 1, exc)
                    self._defer(self.backoff * 2**attempt, (name, kwargs, key, attempt + 1))
                    continue
                log.exception("job %s failed after %d attempts", name, attempt + 1)
                self.failures.append((name, repr(exc)))
            finally:
                self._queue.task_done()
            if key is not None:
                self._keys.discard(key)
            self._pending -= 1

    async def _tick(self, job: Job) -> None:
        from croniter import croniter

        schedule = croniter(job.cron, datetime.now(UTC))
        while True:
            moment: datetime = schedule.get_next(datetime)
            await asyncio.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds()))
            await self.enqueue(job.name, key=f"cron:{job.name}")


def saq_config(settings: Settings, jobs: Sequence[Job], context: JobContext) -> Any:
    """litestar-saq configuration of the one queue (used by web processes and workers)."""
    from litestar_saq import CronJob, QueueConfig, SAQConfig

    tasks = [_saq_function(job, context) for job in jobs]
    by_name = {f.__qualname__: f for f in tasks}
    return SAQConfig(
        queue_configs=[
            QueueConfig(
                dsn=settings.redis_url,
                name=QUEUE_NAME,
                tasks=tasks,
                scheduled_tasks=[
                    CronJob(
                        function=by_name[job.name],
                        cron=job.cron,
                        timeout=job.timeout,
                        retries=job.retries,
                    )
                    for job in jobs
                    if job.cron
                ],
                concurrency=4,
                separate_process=True,  # web processes enqueue; `houqin worker` runs
            )
        ]
    )


def _saq_function(job: Job, context: JobContext) -> Callable[..., Awaitable[Any]]:
    async def run(ctx: Any, **kwargs: Any) -> Any:
        return await job.function(context, **kwargs)

    # SAQ finds functions by their qualified name: make it the job's name.
    run.__name__ = run.__qualname__ = job.name
    return run


class SaqRunner(JobRunner):
    """Enqueue into SAQ on Redis; ``houqin worker`` (see :func:`run_worker`) runs them."""

    def __init__(self, jobs: Iterable[Job], context: JobContext, queue: Any) -> None:
        super().__init__(jobs, context)
        self.queue = queue
        self._connected = False

    async def enqueue(
        self, name: str, *, key: str | None = None, delay: float = 0.0, **kwargs: Any
    ) -> None:
        from saq import Job as SaqJob

        job = self.job(name)
        saq_job = SaqJob(
            function=name,
            kwargs=kwargs,
            retries=job.retries,
            timeout=job.timeout,
            retry_delay=1.0,
            retry_backoff=True,
            scheduled=int(time.time() + delay) if delay > 0 else 0,
        )
        if key is not None:
            saq_job.key = key
        await self.queue.enqueue(saq_job)

    async def start(self) -> None:
        await self.queue.connect()
        self._connected = True

    async def stop(self) -> None:
        if self._connected:
            await self.queue.disconnect()
            self._connected = False


# The runner of this process, installed at start-up (like Piccolo's global engine), so
# core functions can enqueue without threading the app through every call.
_runner: JobRunner | None = None


def install(runner: JobRunner | None) -> None:
    global _runner
    _runner = runner


def current() -> JobRunner | None:
    return _runner


async def enqueue(name: str, *, key: str | None = None, delay: float = 0.0, **kwargs: Any) -> None:
    """Queue a job by name (call after commit). Never raises into the caller's request:
    with no runner (a CLI command) or a broken queue, the job is logged as skipped and
    the periodic sweeps pick its work up later."""
    runner = _runner
    if runner is None:
        log.info("no job runner in this process; %s left to the periodic sweep", name)
        return
    try:
        await runner.enqueue(name, key=key, delay=delay, **kwargs)
    except UnknownJob:
        raise
    except Exception:
        log.exception("could not queue job %s", name)


def build_runner(settings: Settings, registry: PluginRegistry, context: JobContext) -> JobRunner:
    """SAQ on Redis when configured, the in-process runner otherwise."""
    jobs = list(collect_jobs(registry).values())
    if settings.redis_url:
        from litestar_saq import SAQPlugin

        plugin = SAQPlugin(saq_config(settings, jobs, context))
        return SaqRunner(jobs, context, plugin.get_queue(QUEUE_NAME))
    return InProcessRunner(jobs, context, cron=settings.jobs_cron)


async def run_worker(settings: Settings, registry: PluginRegistry, *, burst: bool = False) -> None:
    """``houqin worker``: run SAQ jobs and the cron schedule until stopped."""
    from litestar_saq import SAQPlugin

    from core.db import start_engine, stop_engine
    from core.tables import Organisation

    if not settings.redis_url:
        from core.config import ConfigError

        raise ConfigError(
            "houqin worker needs HOUQIN_REDIS_URL; without it `houqin serve` runs jobs itself."
        )
    context = worker_context(settings, registry)
    jobs = list(collect_jobs(registry).values())
    config = saq_config(settings, jobs, context)
    if burst:
        for queue_config in config.queue_configs:
            queue_config.burst = True
            queue_config.dequeue_timeout = 1.0
            queue_config.scheduled_tasks = []
    worker = SAQPlugin(config).get_workers()[QUEUE_NAME]
    engine = Organisation._meta.db
    await start_engine(engine, pool_max=settings.db_pool_max)
    install(SaqRunner(jobs, context, worker.queue))
    try:
        await worker.start()
    finally:
        install(None)
        await stop_engine(engine)


def worker_context(settings: Settings, registry: PluginRegistry) -> JobContext:
    """A context whose announcements reach web processes through Redis pub/sub."""
    from litestar.channels.backends.redis import RedisChannelsPubSubBackend
    from redis.asyncio import Redis

    from core.channels import REDIS_KEY_PREFIX, request_channel

    backend = RedisChannelsPubSubBackend(
        redis=Redis.from_url(settings.redis_url or ""), key_prefix=REDIS_KEY_PREFIX
    )

    async def announce(org_id: int, number: str) -> None:
        await backend.publish(number.encode(), [request_channel(org_id, number)])

    return JobContext(settings=settings, registry=registry, announce=announce)


__all__ = [
    "InProcessRunner",
    "Job",
    "JobContext",
    "JobRunner",
    "SaqRunner",
    "UnknownJob",
    "build_runner",
    "collect_jobs",
    "current",
    "enqueue",
    "install",
    "run_worker",
]
