"""`flask news …` in a process of its own against a given database, as an operator runs it:
how the benchmarks, `make contract` and `make deploy-check` migrate, seed and create tokens.
"""

from __future__ import annotations

import os
import subprocess
import sys

from deploy.server import ROOT

COMMAND = [sys.executable, "-m", "flask", "--app", "wsgi", "news"]


def flask_news(database_url: str, *args: str, env: dict | None = None) -> str:
    """Run `flask news <args>` on `database_url`, with `env` added to this process's environment;
    its output (stripped). RuntimeError with what it wrote to stderr when it fails."""
    env = {**os.environ, "DATABASE_URL": database_url, **(env or {})}
    done = subprocess.run([*COMMAND, *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"flask news {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return done.stdout.strip()
