#!/usr/bin/env python
"""How long the demo's data takes to load on SQLite, two comparisons, each against its
baseline in the same run:

--compare processes (default): the whole load of `scripts/demo.sh` as one process
(`manage.py load_demo`, as `make demo` runs it now) against the baseline of one
`manage.py` process per step (migrate, the five loaders, `run_dunning --catch-up-days
60`), each of which imports Django and every app and runs the system checks again.

--compare pragmas: the demo's SQLite settings (write-ahead log, `synchronous=NORMAL`)
against SQLite's defaults (rollback journal, `synchronous=FULL`: a wait for the disk at
every commit), migrate, load_demo_data and load_billing_demo each as its own process.

Each mode migrates a fresh SQLite file and loads a book (a smaller one by default:
--accounts, --contracts, --months). Prints each step's seconds, the load average beside
it, and the ratio baseline / the other. Modes alternate (--rounds) so a change in the
machine's load hits both.

    .venv/bin/python bench/demo_load.py --accounts 30 --contracts 45
    .venv/bin/python bench/demo_load.py --compare pragmas --accounts 60 --contracts 150
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
WAL = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
PRAGMA_MODES = {
    "baseline (journal, synchronous=FULL)": "PRAGMA journal_mode=DELETE; PRAGMA synchronous=FULL;",
    "demo (WAL, synchronous=NORMAL)": WAL,
}
PROCESS_MODES = {"baseline (a process per step)": "per-step", "one process (load_demo)": "one"}


def book(args) -> tuple[list[str], list[str]]:
    return (
        ["load_demo_data", "--accounts", str(args.accounts), "--contracts", str(args.contracts)],
        ["load_billing_demo", "--months", str(args.months)],
    )


def steps(args, mode: str = "pragmas") -> list[list[str]]:
    data, billing = book(args)
    if mode == "one":
        return [["load_demo", *data[1:], *billing[1:]]]
    loaders = [data, billing]
    if mode == "per-step":
        loaders += [
            ["load_usage_demo"],
            ["load_fx_rates"],
            ["load_bank_demo"],
            ["run_dunning", "--catch-up-days", "60"],
        ]
    return [["migrate", "--noinput", "-v0"], *loaders]


def run_mode(pragmas: str, args, mode: str = "pragmas") -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "DEBUG": "1",
            "DATABASE_URL": f"sqlite:///{folder}/demo.sqlite3",
            "SQLITE_INIT_COMMAND": pragmas,
        }
        env.pop("REDIS_URL", None)
        times = {}
        for step in steps(args, mode):
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
    parser.add_argument("--compare", choices=["processes", "pragmas"], default="processes")
    args = parser.parse_args()
    if args.compare == "pragmas":
        modes = {name: (pragmas, "pragmas") for name, pragmas in PRAGMA_MODES.items()}
    else:
        modes = {name: (WAL, how) for name, how in PROCESS_MODES.items()}
    results: dict[str, list[dict[str, float]]] = {mode: [] for mode in modes}
    for _ in range(args.rounds):
        for mode, (pragmas, how) in modes.items():
            print(f"{mode}: loading… (load average {os.getloadavg()[0]:.1f})", flush=True)
            results[mode].append(run_mode(pragmas, args, how))
    totals = {}
    for mode, runs in results.items():
        totals[mode] = statistics.median(sum(run.values()) for run in runs)
        per_step = ", ".join(
            f"{step} {statistics.median(run[step] for run in runs):.1f} s" for step in runs[0]
        )
        print(f"{mode}: total {totals[mode]:.1f} s ({per_step})")
    base, other = totals.values()
    print(f"ratio baseline / {list(modes)[1]}: {base / other:.2f}; load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
