"""``baton up``: everything on one machine — embedded PostgreSQL and Redis, the API, a Celery
worker, beat and optionally Flower — with the banner that says where it all is."""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import requests

from cli.embedded import EmbeddedPostgres, EmbeddedRedis, default_data_dir, start_postgres, start_redis
from cli.server import prepare_database, settings_from_env, tool_database
from client.keys import KEY_FILE_NAME as KEY_FILE
from client.keys import register_server, unregister_server
from engine.settings import Settings

# The name of the API key `baton up` creates (with -2, -3, … when another data dir took it).
UP_KEY_NAME = "baton-up"


def _die_with_parent() -> None:
    """Child processes get SIGTERM when `baton up` dies, even by SIGKILL (Linux)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    # In a session of its own, a child hears only `baton up`: Ctrl-C in the terminal (SIGINT to
    # the whole foreground group) followed by our SIGTERM would stop it twice, and Flower answers
    # a second signal during its shutdown with a traceback.
    return subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "cli.main", *args],
        env=env,
        start_new_session=True,
        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
    )


def _ensure_key(settings: Settings, db_url: str, data_dir: Path) -> str:
    """The API key of this data directory: reused if still valid, else created and saved (0600)."""
    # lazy: SQLAlchemy and the engine's commands would add ~0.2 s to every `baton` command (-X importtime)
    from engine.commands.api_keys import authenticate, create_api_key

    path = data_dir / KEY_FILE
    db = tool_database(settings, db_url)
    try:
        if path.exists():
            secret = path.read_text().strip()
            with db.engine.connect() as conn:
                if authenticate(conn, secret):
                    return secret
        name, attempt = UP_KEY_NAME, 1
        while True:
            try:
                secret = db.run(create_api_key, name)
                break
            except Exception:  # the name is taken by an older key of another data dir
                attempt += 1
                name = f"{UP_KEY_NAME}-{attempt}"
                if attempt > 100:
                    raise
    finally:
        db.dispose()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret + "\n")
    os.chmod(path, 0o600)
    return secret


def _wait_ready(url: str, children: list[subprocess.Popen[bytes]], timeout: float = 60.0) -> bool:
    """Until ``url`` answers 200 (False when a child exits first or ``timeout`` passes)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(child.poll() is not None for child in children):
            return False
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.2)
    return False


_UP_EPILOG = """\b
What runs, and where (with the defaults):
  API        http://127.0.0.1:8080 (docs at /docs, OpenAPI at /openapi.json,
             metrics at /metrics; all but /readiness, /docs, /openapi.json need the key)
  Flower     http://127.0.0.1:5555 with --flower (loopback only)
  PostgreSQL embedded, in DATA_DIR/pg, unless BATON_DATABASE_URL is set
  Redis      embedded, in DATA_DIR, unless BATON_BROKER_URL is set
  API key    DATA_DIR/api-key (mode 0600); the baton CLI on this machine
             finds it from the URL alone (recorded in
             ~/.local/state/baton/servers.json while baton up runs)

\b
Ctrl-C or SIGTERM stops every process it started; the data stays in DATA_DIR
and the next `baton up --data-dir DATA_DIR` starts with it."""


@click.command(epilog=_UP_EPILOG)
@click.option("--host", default="127.0.0.1", show_default=True, help="address the API listens on")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535), help="port of the API")
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="embedded PostgreSQL/Redis data, the API key file, beat's schedule [default: $BATON_DATA_DIR or ~/.baton]",
)
@click.option("--no-auth", is_flag=True, help="switch authentication off (local experiments only; said loudly)")
@click.option(
    "--concurrency",
    "--workers",
    "concurrency",
    default=1,
    show_default=True,
    type=click.IntRange(1),
    help="processes of the Celery worker, as `baton worker --concurrency` (--workers is the old spelling)",
)
@click.option("--api-workers", default=1, show_default=True, type=click.IntRange(1), help="gunicorn worker processes")
@click.option(
    "--flower",
    "with_flower",
    is_flag=True,
    help="also run Flower on 127.0.0.1:FLOWER_PORT (basic auth from BATON_FLOWER_BASIC_AUTH when set, "
    "else unauthenticated and reachable from this machine only)",
)
@click.option("--flower-port", default=5555, show_default=True, type=click.IntRange(1, 65535), help="port of Flower")
def up(
    host: str,
    port: int,
    data_dir: Path | None,
    no_auth: bool,
    concurrency: int,
    api_workers: int,
    with_flower: bool,
    flower_port: int,
) -> None:
    """Run everything on this machine: database, broker, API, a Celery worker and beat."""
    data_dir = (data_dir or default_data_dir()).expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = settings_from_env()
    postgres: EmbeddedPostgres | None = None
    redis: EmbeddedRedis | None = None
    children: list[subprocess.Popen[bytes]] = []
    stopping = False
    base = f"http://{_reachable(host)}:{port}"
    urls = _served_urls(host, port)
    registered = False

    def stop(signum: int, _frame: Any) -> None:
        nonlocal stopping
        if stopping:
            return
        stopping = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        db_url = settings.database_url
        if not db_url:
            click.echo("starting embedded PostgreSQL ...")
            postgres = start_postgres(data_dir)
            db_url = postgres.url
        broker_url = settings.broker_url
        if not broker_url:
            click.echo("starting embedded Redis ...")
            redis = start_redis(data_dir)
            broker_url = redis.url
        click.echo("migrating ...")
        prepare_database(settings, db_url)
        secret = None if no_auth else _ensure_key(settings, db_url, data_dir)
        if no_auth:  # said at once, and again in the banner once everything runs
            click.echo(_NO_AUTH_WARNING)
        metrics_dir = data_dir / "metrics"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir()
        env = {
            **os.environ,
            "BATON_DATABASE_URL": db_url,
            "BATON_BROKER_URL": broker_url,
            "BATON_AUTH_ENABLED": "false" if no_auth else "true",
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),  # one /metrics for API and workers
        }
        children.append(_spawn(["api", "--bind", f"{host}:{port}", "--workers", str(api_workers)], env))
        children.append(_spawn(["worker", "--concurrency", str(concurrency)], env))
        children.append(_spawn(["beat", "--schedule", str(data_dir / "celerybeat-schedule")], env))
        if not _wait_ready(f"{base}/readiness", children):
            raise click.ClickException("Baton did not become ready; see the messages above")
        flower = None
        if with_flower:
            # Started once the API answers; `baton flower` waits for the worker itself, so that
            # Flower's first inspection finds it.
            flower = _flower_protection(os.environ)
            flower_args = ["flower", "--port", str(flower_port), "--host", "127.0.0.1"]
            if flower == FLOWER_OPEN:
                flower_args.append("--no-auth")
            children.append(_spawn(flower_args, env))
            if not _wait_ready(f"http://127.0.0.1:{flower_port}/healthcheck", children):
                raise click.ClickException("Flower did not start; see the messages above")
        register_server(urls, data_dir / KEY_FILE if secret else None, data_dir)
        registered = True
        _banner(
            Banner(
                base=base,
                data_dir=data_dir,
                key_file=data_dir / KEY_FILE if secret else None,
                database="embedded PostgreSQL in " + str(data_dir / "pg") if postgres else "BATON_DATABASE_URL",
                broker="embedded Redis in " + str(data_dir) if redis else "BATON_BROKER_URL",
                processes=f"API ({api_workers} gunicorn worker), Celery worker ({concurrency} process), beat"
                + (", Flower" if with_flower else ""),
                flower=(f"http://127.0.0.1:{flower_port}", flower) if flower else None,
            )
        )
        while True:
            for child in children:
                if child.poll() is not None:
                    raise click.ClickException(
                        f"a Baton process exited ({' '.join(str(a) for a in child.args[3:5])}, "
                        f"code {child.returncode}); stopping"
                    )
            time.sleep(0.5)
    except KeyboardInterrupt:
        click.echo("\nstopping ...")
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if registered:
            with contextlib.suppress(OSError):
                unregister_server(urls)
        for child in children:
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + 15
        for child in children:
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        if redis is not None:
            redis.stop()
        if postgres is not None:
            postgres.stop()
        click.echo("stopped")


_WILDCARD_HOSTS = ("0.0.0.0", "::", "")  # noqa: S104 - names of the wildcard address, not a bind


def _reachable(host: str) -> str:
    """The host a client on this machine uses for a server bound to ``host``."""
    if host in _WILDCARD_HOSTS:
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def _served_urls(host: str, port: int) -> list[str]:
    """The URLs under which this machine reaches an API bound to ``host:port``."""
    urls = [f"http://{_reachable(host)}:{port}"]
    if host in _WILDCARD_HOSTS:
        urls.append(f"http://{socket.gethostname()}:{port}")
    return urls


_NO_AUTH_WARNING = "!!! AUTHENTICATION IS OFF (--no-auth): anyone who can reach this port can do anything. !!!"

FLOWER_BASIC_AUTH = "basic auth from BATON_FLOWER_BASIC_AUTH"
FLOWER_OPEN = "no authentication; listens on 127.0.0.1, so only this machine can reach it"


def _flower_protection(environ: Any) -> str:
    """How ``baton up``'s Flower is protected: basic auth when credentials are set, else loopback."""
    return FLOWER_BASIC_AUTH if ":" in environ.get("BATON_FLOWER_BASIC_AUTH", "") else FLOWER_OPEN


@dataclass(frozen=True)
class Banner:
    """What ``baton up`` prints once everything runs."""

    base: str
    data_dir: Path
    key_file: Path | None
    database: str
    broker: str
    processes: str
    flower: tuple[str, str] | None = None


def _banner(banner: Banner) -> None:
    base = banner.base
    lines = [
        "",
        "Baton is running.",
        f"  API        {base}",
        f"  Docs       {base}/docs",
        f"  OpenAPI    {base}/openapi.json",
        f"  Metrics    {base}/metrics (Prometheus; needs the API key)",
        f"  Readiness  {base}/readiness",
    ]
    if banner.flower:
        url, protection = banner.flower
        lines.append(f"  Flower     {url} ({protection})")
    lines += [
        f"  Data dir   {banner.data_dir}",
        f"  Database   {banner.database}",
        f"  Broker     {banner.broker}",
        f"  Processes  {banner.processes}",
    ]
    if banner.key_file:
        lines += [
            f"  API key    {banner.key_file} (mode 0600)",
            "",
            "The baton CLI on this machine finds the key by itself:",
            f"  baton processes --url {base}",
            "Other clients send it in the Authorization header:",
            f'  curl -H "Authorization: $(cat {banner.key_file})" -H "Content-Type: application/json" '
            f"-X POST {base}/processes/query -d '{{}}'",
        ]
    else:
        lines += ["", _NO_AUTH_WARNING]
    lines += ["", f"Stop with Ctrl-C (or kill -TERM {os.getpid()}); the data stays in {banner.data_dir}."]
    click.echo("\n".join(lines))
