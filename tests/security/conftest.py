"""The security suite reports how much of the route table it walked."""

from __future__ import annotations

from collections import defaultdict

import pytest

WALKED = pytest.StashKey[dict[str, set[str]]]()


@pytest.fixture
def walked(request: pytest.FixtureRequest) -> dict[str, set[str]]:
    """``walked[check].add(route label)``: printed at the end of the run."""
    stash = request.config.stash
    if WALKED not in stash:
        stash[WALKED] = defaultdict(set)
    return stash[WALKED]


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    counts = config.stash.get(WALKED, None)
    if not counts:
        return
    terminalreporter.section("security: routes walked")
    for check, routes in sorted(counts.items()):
        terminalreporter.write_line(f"{check}: {len(routes)} routes")
