"""One gunicorn on a free loopback port, for the tests, the benchmarks and the deploy check:
`with serve(env={...}) as server:` starts it with deploy/gunicorn.conf.py, waits until it
answers, and stops it (and its workers) when the block ends.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
CONFIG = "deploy/gunicorn.conf.py"


class Server(NamedTuple):
    url: str  # http://127.0.0.1:<port>
    port: int
    pid: int  # the master's; its children are the workers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, seconds: float = 30, process: subprocess.Popen | None = None) -> None:
    """Return once `url` answers 2xx; RuntimeError if `seconds` pass or `process` ends first."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline or (process and process.poll() is not None):
                raise RuntimeError(f"{url} did not come up") from None
            time.sleep(0.2)


@contextmanager
def serve(
    *args: str,
    app: str = "wsgi:app",
    config: str | None = CONFIG,
    workers: int = 2,
    env: dict | None = None,
    port: int | None = None,
    log: Path | None = None,
    health: str = "/health",
) -> Iterator[Server]:
    """gunicorn serving `app` with `config` (None: gunicorn's own defaults) on 127.0.0.1:`port`
    (a free one unless given); `args` come last on its command line, so they override the rest.

    `env` is added to this process's environment (no access log unless it says otherwise).
    Its output goes to the file `log` (a temporary one unless given), never to a pipe: a full
    pipe blocks it. RuntimeError with the log's tail when `health` does not answer in 60 s."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "gunicorn", *(["-c", config] if config else [])]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", str(workers), *args, app]
    with tempfile.TemporaryDirectory(prefix="newswire-gunicorn-") as scratch:
        log = log or Path(scratch) / "gunicorn.log"
        with open(log, "wb") as output:
            process = subprocess.Popen(
                command, cwd=ROOT, env={**os.environ, "ACCESS_LOG": "", **(env or {})},
                stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        try:
            try:
                wait_until_up(url + health, seconds=60, process=process)
            except RuntimeError:
                tail = log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"gunicorn did not start on {url}:\n{tail}") from None
            yield Server(url, port, process.pid)
        finally:
            process.terminate()  # the master stops its workers, then itself
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)  # the master and its workers
                process.wait()
