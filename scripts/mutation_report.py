"""The figures of the last ``./run mutate``: kill rate per module, and the survivors.

``--survived`` prints only the names of the mutants run and not killed.

Reads mutmut's own results (``mutants/**/*.py.meta``) and ``tests/MUTANTS.md``.
A surviving mutant named in ``tests/MUTANTS.md`` is explained there (an
equivalent mutant, with the reason); any other survivor is listed as new: write
the test that kills it, or explain it there.  Exit status 1 when there is a new
survivor or when ``inspector/core`` is below the target.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

from mutmut.stats import status_by_exit_code

ROOT = Path(__file__).resolve().parent.parent
TARGET = 90.0
KILLED = {"killed", "timeout", "caught by type check"}
UNRUN = {"not checked", "check was interrupted by user"}


def module_of(mutant: str) -> str:
    """``inspector.core.actions.x_plan_prune__mutmut_3`` -> ``inspector.core.actions``."""
    return re.split(r"\.x_|\.xǁ", mutant, maxsplit=1)[0]


def main() -> int:
    metas = sorted((ROOT / "mutants" / "inspector").rglob("*.py.meta"))
    if not metas:
        print("No results: run ./run mutate first.", file=sys.stderr)
        return 2
    status: dict[str, str] = {}
    for meta in metas:
        for mutant, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            status[mutant] = status_by_exit_code[code]
    if sys.argv[1:] == ["--survived"]:  # for ./run mutate: run, and not killed
        print("\n".join(sorted(m for m, st in status.items() if st not in KILLED | UNRUN)))
        return 0
    explained = set(re.findall(r"`(inspector\.[\w.ǁ]+__mutmut_\d+)`", _mutants_md()))

    per_module: dict[str, Counter[str]] = defaultdict(Counter)
    for mutant, st in status.items():
        per_module[module_of(mutant)][st] += 1

    def line(name: str, counts: Counter[str]) -> str:
        total = sum(counts.values())
        killed = sum(counts[s] for s in KILLED)
        rate = 100.0 * killed / total if total else 100.0
        return (
            f"{name:<44} {total:>7} {killed:>7} {counts['survived']:>8} "
            f"{counts['no tests']:>8} {counts['not checked']:>7} {rate:>8.1f} %"
        )

    print(
        f"{'module':<44} {'mutants':>7} {'killed':>7} {'survived':>8} "
        f"{'no tests':>8} {'unrun':>7} {'kill rate':>10}"
    )
    groups: dict[str, Counter[str]] = defaultdict(Counter)
    for module in sorted(per_module):
        print(line(module, per_module[module]))
        group = "inspector/core" if module.startswith("inspector.core") else "CLI plan/confirm"
        groups[group].update(per_module[module])
    print()
    for group, counts in groups.items():
        print(line(f"{group} (all)", counts))

    survivors = sorted(m for m, st in status.items() if st not in KILLED)
    new = [m for m in survivors if m not in explained]
    print(
        f"\nNot killed: {len(survivors)} ({len(survivors) - len(new)} explained in "
        "tests/MUTANTS.md)"
    )
    for m in survivors:
        mark = "  explained" if m in explained else "  NEW      "
        print(f"{mark} {status[m]:<9} {m}")
    core = groups["inspector/core"]
    core_rate = 100.0 * sum(core[s] for s in KILLED) / max(1, sum(core.values()))
    if new:
        print(
            f"\n{len(new)} survivor(s) not in tests/MUTANTS.md: "
            "`mutmut show NAME` shows one; kill it with a test or explain it there."
        )
    if core_rate < TARGET:
        print(f"\ninspector/core kills {core_rate:.1f} % of its mutants: below {TARGET:g} %.")
    return 1 if new or core_rate < TARGET else 0


def _mutants_md() -> str:
    path = ROOT / "tests" / "MUTANTS.md"
    return path.read_text(encoding="utf-8") if path.exists() else ""


if __name__ == "__main__":
    sys.exit(main())
