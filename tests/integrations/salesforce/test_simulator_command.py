"""run_salesforce_simulator: the demo's simulator, as an operator would start it."""

from __future__ import annotations

import queue
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

from simple_salesforce import Salesforce

from integrations.salesforce.simulator.testing import simulator_session

REPO = Path(__file__).resolve().parents[3]


def pump_lines(process: subprocess.Popen[str], lines: queue.Queue[str]) -> None:
    """Forward the command's output line by line; "" marks its end."""
    assert process.stdout is not None
    for line in process.stdout:
        lines.put(line)
    lines.put("")


def read_until(lines: queue.Queue[str], marker: str, timeout: float = 30) -> str:
    seen = []
    while True:
        line = lines.get(timeout=timeout)
        seen.append(line)
        if marker in line or not line:
            return "".join(seen)


def test_command_serves_a_seeded_org_that_accepts_soap_login_until_ctrl_c(tmp_path: Path):
    process = subprocess.Popen(
        [
            sys.executable,
            "-u",
            "manage.py",
            "run_salesforce_simulator",
            "--port",
            "0",
            "--seed-opportunities",
            "12",
            "--cert-dir",
            str(tmp_path),
        ],  # fmt: skip
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    pump = threading.Thread(target=pump_lines, args=(process, lines), daemon=True)
    pump.start()
    try:
        banner = read_until(lines, "Press Ctrl-C")
        field = {k: v for k, v in re.findall(r"^  (\w[\w ]*?)\s{2,}(\S+)", banner, re.M)}
        session = simulator_session(field["instance_url"], field["certificate"])

        by_password = Salesforce(
            username=field["username"],
            password=field["password"],
            security_token=field["security token"],
            session=session,
        )
        by_session = Salesforce(
            instance_url=field["instance_url"], session_id=field["session id"], session=session
        )

        assert Path(field["certificate"]) == tmp_path / "cert.pem"
        assert by_password.query("SELECT COUNT() FROM Opportunity")["totalSize"] == 12
        assert by_session.query("SELECT COUNT() FROM Product2")["totalSize"] == 12
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
        pump.join(timeout=10)
        assert process.stdout is not None
        process.stdout.close()
    assert "Stopped." in read_until(lines, "Stopped.")
    assert process.returncode == 0
