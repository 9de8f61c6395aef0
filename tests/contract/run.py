"""`make contract`: Schemathesis against the real server (gunicorn), with a token and without.

Starts gunicorn on a free port of 127.0.0.1 with a database of its own (a temporary SQLite
file, or a fresh PostgreSQL database when NEWSWIRE_TEST_DATABASE_URL names a server), loads
the demo articles, creates a write token, and runs `schemathesis run` twice: once sending the
token (every write is exercised) and once without (every write must be a 401). The settings
(checks, phases, bounded example counts) are in tests/contract/schemathesis.toml.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # run as a script: the project's own modules

from deploy.flask_news import flask_news  # noqa: E402
from deploy.server import free_port, serve  # noqa: E402

CONFIG = Path(__file__).resolve().parent / "schemathesis.toml"
BIN = Path(sys.executable).parent


@contextmanager
def database(workdir: Path):
    """A database URL of its own: SQLite in workdir, or a new PostgreSQL database."""
    server = os.environ.get("NEWSWIRE_TEST_DATABASE_URL")
    if not server:
        yield f"sqlite:///{workdir / 'contract.sqlite3'}"
        return
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"newswire_contract_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def create_anchors(base: str, token: str) -> list[str]:
    """Two drafts for generated internal related items to point at (tests/contract/hooks.py)."""
    ids = []
    for n in (1, 2):
        body = {"headline": f"Anker {n}", "lead": "Ziel interner Verweise.", "body_text": "Text."}
        request = urllib.request.Request(
            f"{base}/v1/articles",
            data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            ids.append(json.load(response)["id"])
    return ids


def schemathesis(base: str, config: Path) -> int:
    command = [
        str(BIN / "schemathesis"),
        "--config-file",
        str(config),
        "run",
        f"{base}/openapi.json",
        "--checks",
        "all",
        *sys.argv[1:],
    ]
    return subprocess.run(command, cwd=ROOT, env=os.environ).returncode


def with_token(workdir: Path, token: str) -> Path:
    """The settings plus the token for the `token` security scheme, so that Schemathesis also
    knows which requests it may send without it."""
    config = workdir / "schemathesis-token.toml"
    config.write_text(CONFIG.read_text() + f'\n[auth.openapi.token]\nbearer = "{token}"\n')
    return config


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="newswire-contract-") as workdir:
        with database(Path(workdir)) as url:
            port = free_port()
            env = {
                **os.environ,
                "DATABASE_URL": url,
                "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
                "SECRET_KEY": uuid.uuid4().hex,
            }
            flask_news(url, "migrate", env=env)
            flask_news(url, "seed", env=env)
            token = flask_news(url, "token", "create", "contract", env=env)
            base = env["PUBLIC_BASE_URL"]
            log = Path(workdir) / "gunicorn.log"
            with serve("--log-level", "warning", port=port, env=env, log=log):
                os.environ["NEWSWIRE_CONTRACT_ANCHORS"] = ",".join(create_anchors(base, token))
                print("== schemathesis with a write token", flush=True)
                token_run = schemathesis(base, with_token(Path(workdir), token))
                print("== schemathesis without a token", flush=True)
                anonymous_run = schemathesis(base, CONFIG)
            if token_run or anonymous_run:  # the server's side of the failures
                print("== gunicorn's log\n" + log.read_text(errors="replace"), flush=True)
    return token_run or anonymous_run


if __name__ == "__main__":
    sys.exit(main())
