#!/usr/bin/env python
"""How long the demo's data takes to load on SQLite, with the demo's SQLite settings
(write-ahead log, `synchronous=NORMAL`) against SQLite's defaults (rollback journal,
`synchronous=FULL`: a wait for the disk at every commit) as the baseline, in one run.

Each mode migrates a fresh SQLite file and runs the demo commands of `scripts/demo.sh`
that make the book (a smaller one by default: --accounts, --contracts, --months), each
as its own process as `make demo` does. Prints each step's seconds, the load average
beside it, and the ratio baseline / demo settings. Modes alternate (--rounds) so a
change in the machine's load hits both.

    .venv/bin/python bench/demo_load.py --accounts 60 --contracts 150 --months 6
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODES = {
    "baseline (journal, synchronous=FULL)": "PRAGMA journal_mode=DELETE; PRAGMA synchronous=FULL;",
    "demo (WAL, synchronous=NORMAL)": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}


def steps(args) -> list[list[str]]:
    return [
        ["migrate", "--noinput", "-v0"],
        ["load_demo_data", "--accounts", str(args.accounts), "--contracts", str(args.contracts)],
        ["load_billing_demo", "--months", str(args.months)],
    ]


def run_mode(pragmas: str, args) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "DEBUG": "1",
            "DATABASE_URL": f"sqlite:///{folder}/demo.sqlite3",
            "SQLITE_INIT_COMMAND": pragmas,
        }
        env.pop("REDIS_URL", None)
        times = {}
        for step in steps(args):
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "manage.py", *step],
                cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL,
            )  # fmt: skip
            times[step[0]] = time.perf_counter() - start
        return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=60)
    parser.add_argument("--contracts", type=int, default=150)
    parser.add_argument("--months", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    results: dict[str, list[dict[str, float]]] = {mode: [] for mode in MODES}
    for _ in range(args.rounds):
        for mode, pragmas in MODES.items():
            print(f"{mode}: loading… (load average {os.getloadavg()[0]:.1f})", flush=True)
            results[mode].append(run_mode(pragmas, args))
    totals = {}
    for mode, runs in results.items():
        totals[mode] = statistics.median(sum(run.values()) for run in runs)
        per_step = ", ".join(
            f"{step} {statistics.median(run[step] for run in runs):.1f} s" for step in runs[0]
        )
        print(f"{mode}: total {totals[mode]:.1f} s ({per_step})")
    base, demo = totals.values()
    print(f"ratio baseline / demo settings: {base / demo:.2f}; load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
