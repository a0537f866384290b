"""Server sub-commands: ``migrate``, ``api``, ``worker``, ``beat``, ``flower``, ``api-key`` (``up`` is
in :mod:`cli.up`)."""

from __future__ import annotations

import contextlib
import os
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cli.embedded import EmbeddedPostgres, default_data_dir, start_postgres
from engine.errors import EngineError
from engine.settings import Settings

if TYPE_CHECKING:
    from engine.store.db import Database


def settings_from_env(**overrides: Any) -> Settings:
    try:
        return Settings.from_env(**overrides)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc


def _require_database(settings: Settings) -> str:
    if not settings.database_url:
        raise click.ClickException("BATON_DATABASE_URL is not set (or use `baton up` for an embedded database)")
    return settings.database_url


def tool_database(settings: Settings, url: str) -> Database:
    """The database of a command that writes to it directly (one connection, no publisher), from
    the composition root; the caller disposes of it."""
    # lazy: SQLAlchemy, Celery and the engine would add ~0.5 s to every `baton` command (-X importtime)
    from workers.wiring import Process, wire

    return wire(settings.with_(database_url=url), Process.TOOL).db


def prepare_database(settings: Settings, url: str) -> None:
    """Migrate the schema and create the partitions of today and the coming days."""
    # lazy: Alembic and the engine's commands would add ~0.4 s to every `baton` command (-X importtime)
    from engine.commands.partitions import ensure_ahead
    from engine.store import migrate

    migrate.upgrade(url)
    db = tool_database(settings, url)
    try:
        db.run(ensure_ahead, settings.partitions_ahead)
    finally:
        db.dispose()


@click.command()
def migrate() -> None:
    """Bring the database schema up to date and create the coming days' partitions."""
    settings = settings_from_env()
    url = _require_database(settings)
    prepare_database(settings, url)
    click.echo("database is up to date")


class _Gunicorn:
    """Gunicorn running ``api.create_app()`` in each worker process."""

    @staticmethod
    def run(options: dict[str, Any]) -> None:
        # lazy: only `baton api` runs gunicorn; importing it would add ~30 ms to every `baton` command
        from gunicorn.app.base import BaseApplication

        class Application(BaseApplication):  # type: ignore[misc]
            def load_config(self) -> None:
                for key, value in options.items():
                    self.cfg.set(key, value)

            def load(self) -> Any:
                # lazy: each gunicorn worker builds the app after the fork; Flask and the API would add
                # ~0.7 s to every `baton` command (-X importtime)
                from api.app import create_app

                return create_app()

        Application().run()


@click.command()
@click.option("--bind", default="127.0.0.1:8080", show_default=True, help="host:port to listen on")
@click.option("--workers", default=2, show_default=True, help="gunicorn worker processes")
@click.option("--threads", default=16, show_default=True, help="threads per worker (long polls hold one each)")
@click.option("--access-log/--no-access-log", default=False, show_default=True)
def api(bind: str, workers: int, threads: int, access_log: bool) -> None:
    """Serve the HTTP API with gunicorn (production)."""
    settings = settings_from_env()
    _require_database(settings)
    if not settings.broker_url:
        # Without a broker nothing would ever run the work the API accepts.
        raise click.ClickException("BATON_BROKER_URL is not set (or use `baton up` for an embedded Redis)")
    _Gunicorn.run(
        {
            "bind": bind,
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            "timeout": 90,
            "graceful_timeout": 20,
            "keepalive": 30,
            # gunicorn's largest request line (8 KB); a longer one gets its plain-text 414 before
            # Baton sees it, so it is not a problem document.
            "limit_request_line": 8190,
            "accesslog": "-" if access_log else None,
            "errorlog": "-",
            "loglevel": "warning",
            "child_exit": _metrics_child_exit,
        }
    )


def _metrics_child_exit(server: Any, worker: Any) -> None:
    """Forget a gunicorn worker's live gauges once it has gone (Prometheus multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # lazy: only `baton api` under `baton up` needs it; it would add ~20 ms to every `baton` command
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


@click.command()
@click.option("--concurrency", "-c", default=0, help="worker processes (default: number of CPUs)")
@click.option("--loglevel", default="WARNING", show_default=True)
def worker(concurrency: int, loglevel: str) -> None:
    """Run a Celery worker that executes engine tasks."""
    settings = settings_from_env()
    _require_database(settings)
    # lazy: Celery, its app and the engine would add ~0.6 s to every `baton` command (-X importtime)
    from celery.exceptions import SecurityWarning

    from workers.app import celery

    argv = [
        "worker",
        f"--loglevel={loglevel}",
        "-Q",
        settings.queue,
        "--without-gossip",
        "--without-mingle",
        "-n",
        f"baton-{os.getpid()}@%h",
    ]
    if concurrency:
        argv += ["--concurrency", str(concurrency)]
    if "pickle" not in celery.conf.accept_content:
        # Celery warns a worker running as root because a pickled message could run code as
        # root. Baton's workers accept JSON only (workers.publish.celery_settings), so the risk
        # it names does not exist here; with pickle enabled Celery itself would refuse to start.
        warnings.filterwarnings("ignore", message=".*superuser privileges", category=SecurityWarning)
    celery.worker_main(argv)


@click.command()
@click.option("--schedule", default="", help="beat's schedule file (default: a temporary file)")
@click.option("--loglevel", default="WARNING", show_default=True)
def beat(schedule: str, loglevel: str) -> None:
    """Run Celery beat: the due-task sweep every second and partition upkeep. Run exactly one."""
    settings = settings_from_env()
    _require_database(settings)
    from workers.app import celery  # lazy: Celery and the engine would add ~0.6 s to every `baton` command

    schedule = schedule or os.path.join(os.environ.get("TMPDIR", "/tmp"), f"baton-beat-{os.getpid()}")  # noqa: S108
    celery.start(["beat", f"--loglevel={loglevel}", f"--schedule={schedule}", "--pidfile="])


# --- api keys --------------------------------------------------------------------------------


@contextlib.contextmanager
def _database(data_dir: Path | None) -> Iterator[Any]:
    settings = settings_from_env()
    embedded: EmbeddedPostgres | None = None
    url = settings.database_url
    if not url:
        embedded = start_postgres(data_dir or default_data_dir())
        url = embedded.url
    db = tool_database(settings, url)
    try:
        yield db
    finally:
        db.dispose()


@click.group(name="api-key")
def api_key() -> None:
    """Create, revoke and list API keys (directly in the database)."""


@api_key.command("create")
@click.argument("name")
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="use the embedded database of this `baton up` data directory",
)
def api_key_create(name: str, data_dir: Path | None) -> None:
    """Create a key and print its secret (shown only this once)."""
    from engine.commands.api_keys import create_api_key  # lazy: SQLAlchemy and the engine, ~0.2 s otherwise

    with _database(data_dir) as db:
        try:
            secret = db.run(create_api_key, name)
        except EngineError as exc:
            raise click.ClickException(exc.detail) from exc
    click.echo(secret)


@api_key.command("revoke")
@click.argument("name")
@click.option("--data-dir", type=click.Path(path_type=Path), default=None)
def api_key_revoke(name: str, data_dir: Path | None) -> None:
    """Revoke a key by name."""
    from engine.commands.api_keys import revoke_api_key  # lazy: SQLAlchemy and the engine, ~0.2 s otherwise

    with _database(data_dir) as db:
        try:
            db.run(revoke_api_key, name)
        except EngineError as exc:
            raise click.ClickException(exc.detail) from exc
    click.echo(f"revoked {name}")


@api_key.command("list")
@click.option("--data-dir", type=click.Path(path_type=Path), default=None)
def api_key_list(data_dir: Path | None) -> None:
    """List keys (names and dates; secrets are never stored)."""
    from engine.commands.api_keys import list_api_keys  # lazy: SQLAlchemy and the engine, ~0.2 s otherwise

    with _database(data_dir) as db:
        for key in db.run(list_api_keys):
            state = f"revoked {key['revokedAt']:%Y-%m-%d}" if key["revokedAt"] else "active"
            click.echo(f"{key['name']}\t{key['createdAt']:%Y-%m-%d %H:%M}\t{state}")


@click.command()
@click.option("--port", default=5555, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--host",
    "--address",
    "host",
    default="127.0.0.1",
    show_default=True,
    help="address to listen on (--address is the old spelling)",
)
@click.option("--no-auth", is_flag=True, help="serve without basic auth (only allowed on a loopback address)")
@click.option(
    "--wait-for-worker",
    default=30.0,
    show_default=True,
    help="seconds to wait for a Celery worker to answer before Flower starts (0: do not wait)",
)
def flower(port: int, host: str, no_auth: bool, wait_for_worker: float) -> None:
    """Run Flower (Celery monitoring) behind basic auth from ``BATON_FLOWER_BASIC_AUTH=user:password``.

    With --no-auth (loopback only) Flower's pages and its JSON API (/api/...) answer without
    credentials: whoever may see Flower may use its API. With basic auth, both need it.
    """
    settings_from_env()
    credentials = os.environ.get("BATON_FLOWER_BASIC_AUTH", "")
    if no_auth and host not in ("127.0.0.1", "localhost", "::1"):
        raise click.ClickException("--no-auth is only allowed on a loopback address")
    if not no_auth and ":" not in credentials:
        raise click.ClickException("set BATON_FLOWER_BASIC_AUTH=user:password (Flower is never served without auth)")
    from workers.app import celery  # lazy: Celery and the engine would add ~0.6 s to every `baton` command

    if wait_for_worker > 0:
        _wait_for_worker(celery, wait_for_worker)
    # The broker comes from the Celery app (BATON_BROKER_URL); Flower's own chatter stays at
    # warnings, like the other processes.
    argv = ["flower", f"--port={port}", f"--address={host}", "--logging=warning"]
    if no_auth:
        os.environ["FLOWER_UNAUTHENTICATED_API"] = "true"
    else:
        os.environ.pop("FLOWER_UNAUTHENTICATED_API", None)
        argv.append(f"--basic-auth={credentials}")
    celery.start(argv)


def _wait_for_worker(app: Any, seconds: float) -> None:
    """Until a worker answers a ping (or ``seconds`` pass): Flower inspects the workers once at
    start, and a worker still starting would leave it with "Inspect method ... failed"."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if app.control.ping(timeout=1.0):
                return
        except Exception:  # the broker is not there yet: wait for it like for the worker
            time.sleep(1.0)
    click.echo(f"no Celery worker answered within {seconds:.0f} s; starting Flower anyway", err=True)
