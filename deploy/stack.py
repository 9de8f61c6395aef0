"""The production set on one machine, on loopback ports: PostgreSQL (a database of its own),
two or more app servers, the webhook delivery process, and nginx in front (deploy/nginx.conf).

`deploy/check.py` checks it end to end and `bench/proxy.py` measures it; both start it with
`Stack`, which stops everything and drops its database when it ends.
"""

from __future__ import annotations

import os
import shutil
import signal
import string
import subprocess
import tempfile
import uuid
from contextlib import ExitStack
from pathlib import Path

from sqlalchemy import create_engine, text

from deploy.flask_news import COMMAND, flask_news
from deploy.server import free_port, serve, wait_until_up

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get(
    "DEPLOY_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


class Stack:
    """Start the set; `with Stack() as stack:` stops it again, whatever happens."""

    def __init__(self, instances: int = 2, workers: int = 2, delivery: bool = True, env=None):
        self.instances, self.workers, self.delivery = instances, workers, delivery
        self.extra_env = env or {}
        self.processes: list[subprocess.Popen] = []
        self.apps = ExitStack()  # the app servers (deploy/server.py stops each)
        self.run_dir = Path(tempfile.mkdtemp(prefix="newswire-deploy-"))
        self.admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        self.database = f"newswire_deploy_{uuid.uuid4().hex[:8]}"
        self.proxy_port = free_port()
        self.url = f"http://127.0.0.1:{self.proxy_port}"  # through nginx
        self.app_urls: list[str] = []
        self.token = ""

    # --- the parts ------------------------------------------------------------------------

    @property
    def database_url(self) -> str:
        return self.admin.url.set(database=self.database).render_as_string(hide_password=False)

    def env(self) -> dict:
        return {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "PUBLIC_BASE_URL": self.url,
            "SECRET_KEY": "deploy-check-secret",
            "ACCESS_LOG": "",
            "WEBHOOK_ALLOW_PRIVATE": "1",  # the check's webhook receiver is on loopback
            **self.extra_env,
        }

    def flask(self, *args: str) -> str:
        return flask_news(self.database_url, *args, env=self.env())

    def start(self, command: list[str]) -> subprocess.Popen:
        log = open(self.run_dir / f"process-{len(self.processes)}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            command, cwd=ROOT, env=self.env(), stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        self.processes.append(process)
        return process

    def start_app(self) -> str:
        log = self.run_dir / f"app-{len(self.app_urls)}.log"
        app = self.apps.enter_context(serve(workers=self.workers, env=self.env(), log=log))
        self.app_urls.append(app.url)
        return app.url

    def nginx_conf(self) -> str:
        template = string.Template((ROOT / "deploy" / "nginx.conf").read_text())
        upstreams = " ".join(f"server {u.removeprefix('http://')};" for u in self.app_urls)
        return template.safe_substitute(
            LISTEN=f"127.0.0.1:{self.proxy_port}", UPSTREAMS=upstreams, RUN_DIR=str(self.run_dir)
        )

    def start_nginx(self) -> None:
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if os.geteuid() == 0:  # nginx's workers run as www-data: let them write here
            self.run_dir.chmod(0o755)
            for name in ("cache", "proxy", "client_body", "fastcgi", "uwsgi", "scgi"):
                (self.run_dir / name).mkdir(exist_ok=True)
                shutil.chown(self.run_dir / name, "www-data", "www-data")
        conf = self.run_dir / "nginx.conf"
        conf.write_text(self.nginx_conf())
        self.start([nginx, "-c", str(conf), "-e", str(self.run_dir / "error.log")])
        wait_until_up(self.url + "/health")

    # --- the whole set ----------------------------------------------------------------------

    def __enter__(self) -> Stack:
        try:
            with self.admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{self.database}"'))
            self.flask("migrate")
            self.token = self.flask("token", "create", "deploy-check")
            for _ in range(self.instances):
                self.start_app()
            if self.delivery:
                self.start([*COMMAND, "deliver"])
            self.start_nginx()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.apps.close()
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)'))
        self.admin.dispose()
        if not os.environ.get("DEPLOY_KEEP_LOGS"):
            shutil.rmtree(self.run_dir, ignore_errors=True)
