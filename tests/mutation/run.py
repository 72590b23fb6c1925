"""``make mutate``: mutation testing of the pure rule modules with cosmic-ray.

For each module, cosmic-ray makes one small change at a time (an operator, a constant,
a comparison, a dict entry dropped…) and runs the module's unit tests; a change that
leaves them green *survived* and names a rule no test pins. The run works on a copy of
the sources under ``var/mutate/`` (cosmic-ray edits files in place), prints the score per
module and writes each survivor's diff to ``var/mutate/<module>.survivors.txt``.

Not part of ``make test``: it takes minutes, and a score is read by a person.
Usage: ``python -m tests.mutation.run [module …]``.
"""

from __future__ import annotations

import argparse
import ast
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / "var" / "mutate"
PYTEST = "-m pytest -x -q --noconftest -p tests.hypothesis_profile -p no:cacheprovider"


@dataclass(frozen=True)
class Target:
    name: str
    path: str
    tests: tuple[str, ...]
    function: str | None = None  # score only the mutants inside this function

    def lines(self, tree: Path) -> range | None:
        if self.function is None:
            return None
        module = ast.parse((tree / self.path).read_text())
        for node in ast.walk(module):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and (
                node.name == self.function
            ):
                return range(node.lineno, (node.end_lineno or node.lineno) + 1)
        raise SystemExit(f"{self.path} has no function {self.function}")


# The pinned rules run first: they are fast and aimed, so most mutants die within a
# second and only survivors pay for the property tests.
PINNED = "tests/core/test_rules_pinned.py"
TARGETS = {
    "states": Target(
        "states",
        "core/lifecycle/states.py",
        (PINNED, "tests/core/test_states.py", "tests/core/test_reapproval_states.py"),
    ),
    "approvals": Target(
        "approvals", "core/lifecycle/approvals.py", (PINNED, "tests/core/test_approvals.py")
    ),
    "sla": Target("sla", "core/lifecycle/sla.py", (PINNED, "tests/core/test_sla.py")),
    # The rest of dispatch.py reads and writes the database; its pure part is the choice.
    "dispatch.pick": Target(
        "dispatch.pick",
        "core/lifecycle/dispatch.py",
        (PINNED, "tests/core/test_dispatch_pick.py"),
        function="pick",
    ),
}


def annotation_spans(source: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Where the module's annotations are. With ``from __future__ import annotations``
    Python never evaluates them, so a mutant inside one (``int | None`` → ``int + None``)
    is equivalent by construction: it is left out of the score and counted apart."""
    spans = []
    for node in ast.walk(ast.parse(source)):
        found: list[ast.expr | None] = []
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = node.args
            every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
            found = [a.annotation for a in every if a is not None] + [node.returns]
        elif isinstance(node, ast.AnnAssign):
            found = [node.annotation]
        for ann in found:
            if ann is not None:
                end = (ann.end_lineno or ann.lineno, ann.end_col_offset or 0)
                spans.append(((ann.lineno, ann.col_offset), end))
    return spans


def _copy_tree(tree: Path) -> None:
    if tree.exists():
        shutil.rmtree(tree)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "locale", "templates", "static")
    for folder in ("core", "tests", "plugins", "web"):
        shutil.copytree(ROOT / folder, tree / folder, ignore=ignore)
    for name in ("pyproject.toml", "plugins.toml"):
        shutil.copy(ROOT / name, tree / name)


def _config(target: Target, tree: Path) -> Path:
    path = WORK / f"{target.name}.toml"
    command = f"{sys.executable} {PYTEST} {' '.join(target.tests)}"
    path.write_text(
        "[cosmic-ray]\n"
        f'module-path = "{target.path}"\n'
        "timeout = 30.0\n"  # 4x the baseline: a mutant that loops is killed sooner
        "excluded-modules = []\n"
        f'test-command = "{command}"\n'
        "\n[cosmic-ray.distributor]\n"
        'name = "local"\n',
        encoding="utf-8",
    )
    return path


def _cosmic(*args: str, cwd: Path) -> None:
    cosmic = Path(sys.executable).with_name("cosmic-ray")
    subprocess.run([str(cosmic), "--verbosity=ERROR", *args], cwd=cwd, check=True)


def _left_out(target: Target, tree: Path, session: Path) -> int:
    """Mark the mutants that are not scored as skipped before cosmic-ray runs them: those
    outside the target's function, and those inside annotations (equivalent). Returns
    how many annotation mutants there were."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    scored = target.lines(tree)
    annotations = annotation_spans((tree / target.path).read_text())
    equivalent = 0
    with use_db(str(session), WorkDB.Mode.open) as db:
        for item in list(db.work_items):
            start = tuple(item.mutations[0].start_pos)
            if scored is not None and start[0] not in scored:
                reason = "outside the scored function"
            elif any(begin <= start <= end for begin, end in annotations):
                reason, equivalent = "annotation", equivalent + 1
            else:
                continue
            db.set_result(
                item.job_id, WorkResult(worker_outcome=WorkerOutcome.SKIPPED, output=reason)
            )
    return equivalent


def run(target: Target) -> tuple[int, int, int, list[str]]:
    """Mutants killed, mutants scored, mutants in annotations (equivalent: left out) and
    the survivors' diffs."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import TestOutcome, WorkerOutcome

    tree = WORK / "tree"
    _copy_tree(tree)
    config, session = _config(target, tree), WORK / f"{target.name}.sqlite"
    session.unlink(missing_ok=True)
    _cosmic("init", str(config), str(session), cwd=tree)
    _cosmic("baseline", str(config), cwd=tree)  # the tests pass on the unchanged code
    equivalent = _left_out(target, tree, session)
    _cosmic("exec", str(config), str(session), cwd=tree)
    killed = total = 0
    survivors: list[str] = []
    with use_db(str(session), WorkDB.Mode.open) as db:
        for item, result in db.completed_work_items:
            if result.worker_outcome == WorkerOutcome.SKIPPED:
                continue
            total += 1
            if result.test_outcome == TestOutcome.SURVIVED:
                mutation = item.mutations[0]
                survivors.append(
                    f"line {mutation.start_pos[0]}: {mutation.operator_name} "
                    f"#{mutation.occurrence}\n{result.diff}\n"
                )
            else:
                killed += 1
    (WORK / f"{target.name}.survivors.txt").write_text("\n".join(survivors), encoding="utf-8")
    return killed, total, equivalent, survivors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help=f"some of {', '.join(TARGETS)}")
    chosen = parser.parse_args().modules or list(TARGETS)
    unknown = [m for m in chosen if m not in TARGETS]
    if unknown:
        parser.error(f"unknown module(s) {unknown}; choose from {', '.join(TARGETS)}")
    WORK.mkdir(parents=True, exist_ok=True)
    scores = []
    for name in chosen:
        killed, total, equivalent, survivors = run(TARGETS[name])
        scores.append((name, killed, total, equivalent, len(survivors)))
        print(f"{name}: {killed}/{total} killed", flush=True)
    print("\nmodule          killed / mutants    score  survived  in annotations (left out)")
    for name, killed, total, equivalent, left in scores:
        share = 100 * killed / total if total else 100.0
        print(f"{name:<15} {killed:>6} / {total:<7} {share:6.1f} %  {left:>8}  {equivalent:>9}")
    print(f"\nThe survivors' diffs: {WORK}/<module>.survivors.txt")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
