"""Race a service in real OS processes forked from the test process.

A test of what concurrent workers must never do (over-apply a payment, leave a gap in the
invoice numbers) needs real processes, each with its own PostgreSQL session. They used to
be new interpreters (`python -c SCRIPT`), and each imported Django and every app again:
over two seconds of CPU a process, four processes a test, on a 2-core machine. Forked from
the test process they start with all of that imported. The parent's database connections
are closed before the fork, so each child opens its own and none shares a socket; the
children start within milliseconds of each other, so they race at least as hard.
"""

from __future__ import annotations

import json
import os
import traceback
from collections.abc import Callable, Sequence

from django.db import connections


def _run_child(work: Callable[..., object], args: tuple, write_end: int) -> None:
    """In the child: run the work, send back its result or traceback, never return (no
    pytest teardown, no atexit, no cleanup of objects the parent still owns)."""
    status = 1
    try:
        try:
            reply = {"result": work(*args)}
        except BaseException:
            reply = {"error": traceback.format_exc()}
        connections.close_all()  # its own connections, opened after the fork
        with os.fdopen(write_end, "w") as pipe:
            json.dump(reply, pipe)
        status = 0
    finally:
        os._exit(status)


def run_in_processes(work: Callable[..., object], arguments: Sequence[tuple]) -> list:
    """`work(*args)` in one forked process per entry of `arguments`, all running at once.
    Returns each one's (JSON) result, in order; a child that raised fails the test with
    its traceback. Needs a transactional test: the children only see committed rows."""
    if any(connection.in_atomic_block for connection in connections.all()):
        raise RuntimeError("run_in_processes needs @pytest.mark.django_db(transaction=True)")
    connections.close_all()
    children = []
    for args in arguments:
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_end)
            _run_child(work, args, write_end)
        os.close(write_end)
        children.append((pid, read_end))
    replies = []
    for pid, read_end in children:
        with os.fdopen(read_end) as pipe:
            raw = pipe.read()
        _pid, status = os.waitpid(pid, 0)
        replies.append(json.loads(raw) if raw else {"error": f"exit status {status}"})
    errors = [reply["error"] for reply in replies if "error" in reply]
    if errors:
        raise AssertionError("a worker process failed:\n" + "\n".join(errors))
    return [reply["result"] for reply in replies]
