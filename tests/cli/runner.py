"""`creditmemo ARGS` run inside the test process: the same entry point as the console script
(``creditmemo.cli:main``, whose exit status the script passes to ``sys.exit``), with its own argv, environment,
stdout and stderr, answered like ``subprocess.run(..., capture_output=True, text=True)``.

For the tests whose subject is what a command does (its output, its exit status, what it writes to the
database): a subprocess would pay Python's start-up and the whole import of creditmemo (about 1.5 s) on
every call. The tests whose subject is the process itself keep a real one: kills and signals
(tests/cli/test_worker_kill.py, tests/stress), concurrent workers, the server, and the console script as
installed (tests/cli/test_cli.py::test_the_console_script_as_installed)."""

from __future__ import annotations

import io
import os
import sys
import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, event


@dataclass
class Ran:
    """What ``subprocess.CompletedProcess`` holds, for a command run in this process."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str


def run_in_process(args: list[str], env: Mapping[str, str]) -> Ran:
    """Run ``creditmemo *args`` with ``env`` (the whole environment, as ``subprocess.run(env=...)`` takes it).
    The database engines the command opened are disposed afterwards, as its process exit would close them."""
    from creditmemo.cli import main

    saved_env, saved_argv = dict(os.environ), sys.argv
    saved_out, saved_err = sys.stdout, sys.stderr
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="")
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="")
    engines: list[Engine] = []

    def opened(conn: Any) -> None:
        if conn.engine not in engines:
            engines.append(conn.engine)

    event.listen(Engine, "engine_connect", opened)
    os.environ.clear()
    os.environ.update(env)
    sys.argv = ["creditmemo", *args]
    sys.stdout, sys.stderr = out, err
    code: int
    try:
        try:
            main()
            code = 0
        except SystemExit as exit_:
            if exit_.code is None:
                code = 0
            elif isinstance(exit_.code, int):
                code = exit_.code
            else:  # sys.exit("message"): the message on stderr, status 1, as Python itself does
                print(exit_.code, file=sys.stderr)
                code = 1
        except Exception:  # what the interpreter prints for an uncaught exception, and its status
            traceback.print_exc()
            code = 1
    finally:
        sys.stdout, sys.stderr = saved_out, saved_err
        sys.argv = saved_argv
        os.environ.clear()
        os.environ.update(saved_env)
        event.remove(Engine, "engine_connect", opened)
        for engine in engines:
            engine.dispose()
    out.flush()
    err.flush()
    return Ran(list(args), code, _text(out), _text(err))


def _text(stream: io.TextIOWrapper) -> str:
    raw = stream.buffer
    assert isinstance(raw, io.BytesIO)
    return raw.getvalue().decode("utf-8", errors="replace")
