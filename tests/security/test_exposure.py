"""Scenario 15: exposure. Flower and ``/metrics`` need credentials outside ``baton up``; API keys
are stored hashed; no secret ever reaches a log (the logs of a full run are searched for them)."""

from __future__ import annotations

import base64
import hashlib
import secrets
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests.e2e.conftest import ROOT, free_port
from tests.faults import models
from tests.faults.cluster import Cluster, RedisServer, cluster
from tests.waiting import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.security]


def baton_command(args: list[str], env: dict[str, str], timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def answers(url: str) -> bool:
    """Whether anything answers HTTP at ``url`` (whatever the status)."""
    try:
        requests.get(url, timeout=1)
    except requests.RequestException:
        return False
    return True


def silent(baton: Cluster, expected: dict[str, tuple[int, str]]) -> list[str]:
    """The processes of ``expected`` (name: (lines before, text)) that have not logged the text
    since."""
    return [
        name
        for name, (start, text) in expected.items()
        if not any(text in line for line in baton.log_lines(name)[start:])
    ]


def test_flower_and_metrics_need_credentials(secured: Cluster):
    api = secured.api()
    env = {k: v for k, v in secured.env.items() if k != "BATON_FLOWER_BASIC_AUTH"}
    refused = baton_command(["flower", "--port", str(free_port())], env)
    assert refused.returncode != 0 and "BATON_FLOWER_BASIC_AUTH" in refused.stderr, refused
    everywhere = "0.0.0.0"  # noqa: S104 - what it must refuse without auth
    public = baton_command(["flower", "--port", str(free_port()), "--address", everywhere, "--no-auth"], env)
    assert public.returncode != 0 and "loopback" in public.stderr, public

    password = secrets.token_urlsafe(12)
    port = free_port()
    flower = secured.spawn("flower", ["flower", "--port", str(port)], BATON_FLOWER_BASIC_AUTH=f"ops:{password}")
    try:
        wait_for(lambda: answers(f"http://127.0.0.1:{port}/"), timeout=60, interval=0.2, what="Flower answering")
        anonymous = requests.get(f"http://127.0.0.1:{port}/", timeout=10)
        wrong = requests.get(f"http://127.0.0.1:{port}/", auth=("ops", "wrong"), timeout=10)
        right = requests.get(f"http://127.0.0.1:{port}/", auth=("ops", password), timeout=10)
    finally:
        secured.stop("flower")
    assert flower.returncode is not None
    assert (anonymous.status_code, wrong.status_code, right.status_code) == (401, 401, 200)

    metrics = requests.get(f"{api.url}/metrics", timeout=10)
    bad_key = requests.get(f"{api.url}/metrics", headers={"Authorization": "baton_wrong"}, timeout=10)
    good = requests.get(f"{api.url}/metrics", headers={"Authorization": api.key}, timeout=10)
    assert (metrics.status_code, bad_key.status_code, good.status_code) == (401, 401, 200)
    assert "baton_" in good.text
    print(
        "\nscenario 15: baton flower refuses to start without BATON_FLOWER_BASIC_AUTH and refuses --no-auth off "
        f"loopback; Flower answers {anonymous.status_code}/{wrong.status_code}/{right.status_code} without, with wrong "
        f"and with right credentials; /metrics {metrics.status_code}/{bad_key.status_code}/{good.status_code}"
    )


def database_text(url: str) -> str:
    """Every value of every table of a database, as text."""
    from engine.store.db import normalize_url

    engine = sa.create_engine(normalize_url(url), poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            tables = [
                r[0]
                for r in conn.execute(
                    sa.text(
                        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                        "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition"
                    )
                )
            ]
            return "\n".join(
                str(row[0])
                for table in tables
                for row in conn.execute(sa.text(f'SELECT row_to_json(t)::text FROM "{table}" t'))  # noqa: S608
            )
    finally:
        engine.dispose()


def test_api_keys_are_stored_hashed(secured: Cluster):
    env = {**secured.env}
    created = baton_command(["api-key", "create", f"exposure-{uuid.uuid4().hex[:6]}"], env)
    assert created.returncode == 0, created
    secret = created.stdout.strip().splitlines()[-1]
    digest = hashlib.sha256(secret.encode()).hexdigest()
    assert secured.scalar("SELECT count(*) FROM api_key WHERE secret_hash = :h", h=digest) == 1
    text = database_text(secured.database_url)
    assert secret not in text and secret[len("baton_") :] not in text
    listed = baton_command(["api-key", "list"], env)
    assert secret not in listed.stdout
    ok = requests.get(f"{secured.api().url}/metrics", headers={"Authorization": f"Bearer {secret}"}, timeout=10)
    assert ok.status_code == 200
    print(
        f"\nscenario 15: a key created with `baton api-key create` is stored as its SHA-256 only; the secret occurs in "
        f"none of the {len(text.splitlines())} rows of the database nor in `baton api-key list`, and it authenticates"
    )


@pytest.fixture
def leaky(
    fresh_database: Callable[[], str], tmp_path: Path, postgres_server_url: str
) -> tuple[Cluster, RedisServer, dict[str, str]]:
    """A Baton whose every connection string carries a password, with an encryption key and a
    Flower password: a run that could leak all of them."""
    secrets_ = {
        "database password": "pg-" + secrets.token_urlsafe(16),
        "redis password": "redis-" + secrets.token_urlsafe(16),
        "encryption key": base64.b64encode(secrets.token_bytes(32)).decode(),
        "flower password": "flower-" + secrets.token_urlsafe(16),
        "encrypted value": "value-" + secrets.token_urlsafe(16),
        "wrong api key": "baton_" + secrets.token_urlsafe(32),
    }
    role = f"baton_leak_{uuid.uuid4().hex[:8]}"
    from engine.store.db import normalize_url

    admin = sa.create_engine(normalize_url(postgres_server_url), isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE ROLE {role} LOGIN SUPERUSER PASSWORD '{secrets_['database password']}'"))
    redis = RedisServer(tmp_path, password=secrets_["redis password"])
    redis.start()
    try:
        with cluster(fresh_database, redis.url, tmp_path) as result:
            url = make_url(result.database_url).set(username=role, password=secrets_["database password"])
            result.env["BATON_DATABASE_URL"] = url.render_as_string(hide_password=False)
            result.env["BATON_ENCRYPTION_KEYS"] = f"k1:{secrets_['encryption key']}"
            result.env["BATON_FLOWER_BASIC_AUTH"] = f"ops:{secrets_['flower password']}"
            result.env["BATON_LOG_LEVEL"] = "DEBUG"
            yield result, redis, secrets_
    finally:
        redis.stop()
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP ROLE IF EXISTS {role}"))
        admin.dispose()


def test_no_secret_appears_in_the_logs_of_a_full_run(leaky):
    baton, redis, hidden = leaky
    api = baton.start_api()
    baton.start_worker(concurrency=2)
    baton.start_beat()
    flower_port = free_port()
    baton.spawn("flower", ["flower", "--port", str(flower_port)])
    baton.wait_worker_ready()
    api.deploy(models.service("service"), "service")
    value = {"encoding": "json", "value": f'"{hidden["encrypted value"]}"', "encrypted": True}
    instances = [api.start("service", variables=[{"name": "secret", "data": value}]) for _ in range(5)]
    requests.get(f"{api.url}/metrics", headers={"Authorization": hidden["wrong api key"]}, timeout=10)
    requests.post(f"{api.url}/jobs/lock", headers={"Authorization": f"Bearer {hidden['wrong api key']}"}, timeout=10)
    jobs = api.call("POST", "/jobs/lock", {"workerId": "w", "limit": 10, "timeout": 5000})["jobs"]
    api.call("PATCH", f"/jobs/{jobs[0]['partition']}/{jobs[0]['id']}/complete", {"workerId": "w", "error": "boom"})
    for job in jobs[1:]:
        api.call("PATCH", f"/jobs/{job['partition']}/{job['id']}/complete", {"workerId": "w"})
    wait_for(lambda: answers(f"http://127.0.0.1:{flower_port}/"), timeout=60, interval=0.2, what="Flower answering")
    requests.get(f"http://127.0.0.1:{flower_port}/", auth=("ops", "wrong"), timeout=10)
    # Outages make every component log its connection errors. Redis stays down until each of
    # them has: the API its failed publish, Celery's processes an error naming the Redis address.
    outage = {"api": "engine task(s) failed", **{name: f":{redis.port}" for name in ("worker", "beat", "flower")}}
    expected = {name: (len(baton.log_lines(name)), text) for name, text in outage.items()}
    redis.stop()
    requests.get(f"{api.url}/readiness", timeout=10)
    api.start("service")
    wait_for(
        lambda: silent(baton, expected), lambda still: not still, timeout=60, what="every component logging the outage"
    )
    redis.start()
    baton.terminate_engine_connections()
    expected = {"worker": (len(baton.log_lines("worker")), "] succeeded in")}
    for _ in range(3):
        requests.post(f"{api.url}/process-instances/query", json={}, headers={"Authorization": api.key}, timeout=10)
    # The worker meets its terminated connections in its next task (beat's sweep, once beat is
    # connected to Redis again).
    wait_for(lambda: not silent(baton, expected), timeout=60, what="a worker task after the terminated connections")
    got = api.call("GET", f"/process-instances/{instances[1]['partition']}/{instances[1]['id']}/variables")
    assert hidden["encrypted value"] in str(got)  # the run really used the secret
    baton.close()  # every process flushed and ended
    logs = baton.logs()
    leaked = {name: secret for name, secret in hidden.items() if secret in logs}
    print(
        f"\nscenario 15: {len(logs.splitlines())} log lines of API, worker, beat and Flower at DEBUG, through Redis "
        f"and PostgreSQL outages, searched for {len(hidden)} secrets: leaked {sorted(leaked) or 'none'}"
    )
    for name in leaked:
        line = next(line for line in logs.splitlines() if hidden[name] in line)
        print(f"  {name}: {line[:300]}")
    assert leaked == {}
