"""The in-process job runner: retries with backoff, keys, unknown names, no runner."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from core import jobs
from core.config import load_settings
from core.jobs import InProcessRunner, Job, JobContext, UnknownJob
from core.plugins import build_plugin_registry


def _context() -> JobContext:
    settings = load_settings({})  # nothing is written: the jobs here touch no files
    return JobContext(settings=settings, registry=build_plugin_registry(settings.plugins_file))


async def test_a_failing_job_is_retried_then_recorded() -> None:
    calls: list[int] = []

    async def flaky(ctx: JobContext, n: int) -> None:
        calls.append(n)
        if len(calls) < 3:
            raise RuntimeError("smtp down")

    async def broken(ctx: JobContext) -> None:
        raise RuntimeError("always")

    runner = InProcessRunner(
        [Job("t.flaky", flaky, retries=3), Job("t.broken", broken, retries=1)],
        _context(),
        backoff=0.01,
    )
    await runner.start()
    try:
        await runner.enqueue("t.flaky", n=7)
        await runner.enqueue("t.broken")
        await runner.drain()
    finally:
        await runner.stop()
    assert calls == [7, 7, 7]
    assert runner.failures == [("t.broken", "RuntimeError('always')")]


async def test_a_key_is_queued_once_until_it_ran() -> None:
    seen: list[str] = []
    gate = asyncio.Event()

    async def slow(ctx: JobContext, tag: str) -> None:
        await gate.wait()
        seen.append(tag)

    runner = InProcessRunner([Job("t.slow", slow)], _context(), concurrency=1)
    await runner.start()
    try:
        await runner.enqueue("t.slow", key="k", tag="first")
        await runner.enqueue("t.slow", key="k", tag="duplicate")
        gate.set()
        await runner.drain()
        await runner.enqueue("t.slow", key="k", tag="again")  # the key is free once it ran
        await runner.drain()
    finally:
        await runner.stop()
    assert seen == ["first", "again"]


async def test_a_slow_job_times_out_and_counts_as_a_failure() -> None:
    async def stuck(ctx: JobContext) -> None:
        await asyncio.sleep(10)

    runner = InProcessRunner([Job("t.stuck", stuck, retries=0, timeout=0)], _context())
    await runner.start()
    try:
        await runner.enqueue("t.stuck")
        await runner.drain()
    finally:
        await runner.stop()
    assert [name for name, _ in runner.failures] == ["t.stuck"]


async def test_unknown_names_are_refused_and_no_runner_never_raises() -> None:
    runner = InProcessRunner([], _context())
    with pytest.raises(UnknownJob):
        await runner.enqueue("t.nope")
    previous = jobs.current()
    jobs.install(None)
    try:
        await jobs.enqueue("core.sla_watch")  # a CLI process: logged, left to the sweep
    finally:
        jobs.install(previous)


def test_core_registers_its_periodic_jobs() -> None:
    found = jobs.collect_jobs(_context().registry)
    for name in ("core.sla_watch", "core.approval_watch", "core.auto_close"):
        assert found[name].cron


def test_saq_configuration_names_functions_after_jobs(tmp_path: Path) -> None:
    from dataclasses import replace

    context = _context()
    settings = replace(context.settings, redis_url="redis://127.0.0.1:6379/15")
    listed: list[Any] = list(jobs.collect_jobs(context.registry).values())
    config = jobs.saq_config(settings, listed, context)
    (queue,) = config.queue_configs
    assert {f.__qualname__ for f in queue.tasks} >= {"core.sla_watch", "core.auto_close"}
    assert {c.function.__qualname__ for c in queue.scheduled_tasks} == {
        j.name for j in listed if j.cron
    }
