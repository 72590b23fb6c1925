"""Fallback load generator (asyncio + httpx) for when Debian's ``wrk`` is not available.

Closed loop like wrk: ``--connections`` tasks each send a request, wait for the answer,
and send the next, for ``--duration`` seconds. Prints the same ``BENCH_JSON {...}`` line
as tests/bench/wrk.lua. It is itself Python, so it takes more CPU than wrk from the
server on a small machine: figures made with it are lower bounds.

    python -m tests.bench.loadgen http://127.0.0.1:8000/requests --duration 10 \\
        --connections 8 --header "Cookie: houqin_session=…" --expect 200
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import httpx


def percentile(sorted_values: list[float], pct: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(pct / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


async def run(args: argparse.Namespace) -> dict[str, float | int]:
    headers = dict(h.split(": ", 1) for h in args.header)
    cookies = [c for c in (args.cookies or "").split("|") if c]
    latencies: list[float] = []
    counts = {"errors": 0, "unexpected": 0, "unexpected_status": 0, "bytes": 0, "n": 0}
    limits = httpx.Limits(max_connections=args.connections, max_keepalive_connections=None)
    deadline = time.perf_counter() + args.duration

    async def worker(client: httpx.AsyncClient, wid: int) -> None:
        while time.perf_counter() < deadline:
            counts["n"] += 1
            n = counts["n"]
            extra = {"Cookie": cookies[n % len(cookies)]} if cookies else {}
            started = time.perf_counter()
            try:
                if args.body is None:
                    response = await client.get(args.url, headers=extra)
                else:
                    body = f"{args.body}&submit_token={args.tag}-{wid}-{n}"
                    extra["Content-Type"] = "application/x-www-form-urlencoded"
                    response = await client.post(args.url, content=body, headers=extra)
            except httpx.HTTPError:
                counts["errors"] += 1
                continue
            latencies.append(time.perf_counter() - started)
            counts["bytes"] += len(response.content)
            if response.status_code != args.expect:
                counts["unexpected"] += 1
                counts["unexpected_status"] = response.status_code

    began = time.perf_counter()
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=10) as client:
        await asyncio.gather(*(worker(client, i) for i in range(args.connections)))
    elapsed = time.perf_counter() - began
    latencies.sort()
    us = [v * 1e6 for v in latencies]
    return {
        "requests": len(latencies),
        "duration_us": int(elapsed * 1e6),
        "bytes": counts["bytes"],
        "errors": counts["errors"],
        "unexpected": counts["unexpected"],
        "unexpected_status": counts["unexpected_status"],
        "p50_us": int(percentile(us, 50)),
        "p90_us": int(percentile(us, 90)),
        "p99_us": int(percentile(us, 99)),
        "max_us": int(us[-1]) if us else 0,
        "mean_us": sum(us) / len(us) if us else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--header", action="append", default=[])
    parser.add_argument("--cookies", help='"|"-separated Cookie headers used in turn')
    parser.add_argument("--body", help="POST this form body plus a fresh submit_token")
    parser.add_argument("--tag", default="t")
    parser.add_argument("--expect", type=int, default=200)
    args = parser.parse_args()
    print("BENCH_JSON " + json.dumps(asyncio.run(run(args))), flush=True)


if __name__ == "__main__":
    main()
