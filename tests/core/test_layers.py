"""The layout holds: the project package on top, then integrations, collections, billing,
commercial records, and the shared core at the bottom, which imports no app. Checked by
import-linter's layers contract (`.importlinter`), so a wrong-way import fails CI."""

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_no_app_imports_an_app_above_it_and_the_core_imports_none():
    lint = pathlib.Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--config", str(ROOT / ".importlinter"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "1 kept, 0 broken" in result.stdout
