"""docker-compose.yml: its structure (PyYAML) and, when Compose v2 is installed, `docker compose
config` with .env.example (interpolation, required variables, the compose-spec schema).

No Docker engine is needed: `config` only reads and validates the files.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.settings import TEST_ONLY_SETTINGS, Settings
from tests.deploy.tools import ROOT, compose_command, missing

COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
BATON_SERVICES = ("migrate", "api", "worker", "beat", "flower")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return compose["services"]


def env_example() -> dict[str, str]:
    """Active assignments of .env.example."""
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def command_text(service: dict[str, Any]) -> str:
    command = service.get("command", [])
    return command if isinstance(command, str) else " ".join(str(part) for part in command)


# --- structure --------------------------------------------------------------------------------


def test_services(services: dict[str, Any]) -> None:
    assert set(services) == {"postgres", "redis", *BATON_SERVICES}


def test_postgres_15_with_volume_and_healthcheck(compose: dict[str, Any], services: dict[str, Any]) -> None:
    postgres = services["postgres"]
    assert postgres["image"].startswith("postgres:15")
    volume, _, target = postgres["volumes"][0].partition(":")
    assert volume in compose["volumes"], "a named volume"
    assert target == "/var/lib/postgresql/data"
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert postgres["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")


def test_redis_7_with_password_noeviction_and_healthcheck(services: dict[str, Any]) -> None:
    redis = services["redis"]
    assert redis["image"].startswith("redis:7")
    command = redis["command"]
    assert command[command.index("--requirepass") + 1].startswith("${REDIS_PASSWORD")
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"
    assert "ping" in " ".join(redis["healthcheck"]["test"])


def test_baton_services_share_one_image_and_are_hardened(services: dict[str, Any]) -> None:
    images = {services[name]["image"] for name in BATON_SERVICES}
    assert len(images) == 1
    for name in BATON_SERVICES:
        service = services[name]
        assert service["build"]["context"] == "."
        assert service["read_only"] is True, name
        assert "/tmp" in service["tmpfs"], name
        assert service["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in service["security_opt"], name


def test_migrate_is_one_shot_after_postgres(services: dict[str, Any]) -> None:
    migrate = services["migrate"]
    assert migrate["command"] == ["migrate"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_api_waits_for_migrate_and_checks_readiness(services: dict[str, Any]) -> None:
    api = services["api"]
    assert command_text(api).startswith("api --bind 0.0.0.0:8080 --workers")
    assert "--threads" in api["command"]
    assert api["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert "/readiness" in " ".join(api["healthcheck"]["test"])
    assert any(str(port).endswith(":8080") for port in api["ports"])


def test_worker_two_replicas(services: dict[str, Any]) -> None:
    worker = services["worker"]
    assert worker["command"][0] == "worker"
    assert worker["deploy"]["replicas"] == 2
    assert worker["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_exactly_one_beat(services: dict[str, Any]) -> None:
    beat = services["beat"]
    assert beat["deploy"]["replicas"] == 1
    assert beat["command"][0] == "beat"
    schedule = beat["command"][beat["command"].index("--schedule") + 1]
    assert schedule.startswith("/tmp/"), "the only writable place of a read-only container"
    assert beat["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_flower_requires_basic_auth(services: dict[str, Any]) -> None:
    flower = services["flower"]
    assert flower["entrypoint"] == ["celery"]
    assert flower["command"][:3] == ["--app", "workers.app:celery", "flower"]
    assert "--port=5555" in flower["command"]
    # ${VAR:?...}: compose refuses to start anything while the credentials are missing.
    assert flower["environment"]["FLOWER_BASIC_AUTH"].startswith("${FLOWER_BASIC_AUTH:?")
    assert flower["ports"] == ["${PUBLISH_FLOWER:-127.0.0.1:5555}:5555"], "loopback only by default"
    assert "/healthcheck" in " ".join(flower["healthcheck"]["test"])


def test_only_the_api_keeps_the_image_healthcheck(services: dict[str, Any]) -> None:
    for name in ("migrate", "worker", "beat"):
        assert services[name]["healthcheck"] == {"disable": True}, name


def test_every_baton_setting_reaches_the_containers(compose: dict[str, Any], services: dict[str, Any]) -> None:
    environment = compose["x-baton-env"]
    expected = {f"BATON_{field.name.upper()}" for field in fields(Settings) if field.name not in TEST_ONLY_SETTINGS}
    assert set(environment) == expected
    # Pass-through (null): unset in .env means unset in the container, i.e. Baton's default.
    for name, value in environment.items():
        if name not in {"BATON_DATABASE_URL", "BATON_BROKER_URL"}:
            assert value is None, name
    assert "${REDIS_PASSWORD:?" in environment["BATON_BROKER_URL"]
    assert environment["BATON_BROKER_URL"].endswith("@redis:6379/0")
    assert "${POSTGRES_PASSWORD:?" in environment["BATON_DATABASE_URL"]
    for name in BATON_SERVICES:
        assert expected <= set(services[name]["environment"]), name


def test_no_literal_secrets(services: dict[str, Any]) -> None:
    text = COMPOSE_FILE.read_text()
    assert not re.search(r"(redis|postgresql)://[^$\s]*:[^$@\s]+@", text.replace("${", "$")), "a password in a URL"
    for service in services.values():
        for name, value in (service.get("environment") or {}).items():
            if re.search(r"PASSWORD|AUTH$|SECRET", name) and value is not None:
                assert str(value).startswith("${"), f"{name} must come from .env"


def test_env_example_covers_every_variable() -> None:
    text = COMPOSE_FILE.read_text()
    used = set(re.findall(r"\$\{(\w+)", text))
    documented = set(re.findall(r"^#?\s*(\w+)=", ENV_EXAMPLE.read_text(), flags=re.M))
    assert used <= documented, f"not in .env.example: {sorted(used - documented)}"
    required = set(re.findall(r"\$\{(\w+):\?", text))
    active = env_example()
    for name in required:
        assert name in active, f"{name} is required and must have a placeholder in .env.example"
        assert "change-me" in active[name], f"{name} must be an obvious placeholder"
    for name, value in active.items():
        assert not value or "change-me" in value, f"{name}={value}: only placeholders in .env.example"


def test_compose_env_is_in_docs() -> None:
    docs = (ROOT / "docs" / "deploy.md").read_text()
    for name in set(re.findall(r"\$\{(\w+)", COMPOSE_FILE.read_text())):
        assert f"`{name}`" in docs, name


# --- `docker compose config` -----------------------------------------------------------------


def run_config(*args: str, env_file: Path) -> subprocess.CompletedProcess[str]:
    command = compose_command()
    if command is None:
        missing("Docker Compose v2")
    return subprocess.run(
        [
            *command,
            "--project-directory",
            str(ROOT),
            "--env-file",
            str(env_file),
            "-f",
            str(COMPOSE_FILE),
            "config",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        # Only what the test gives: no stray POSTGRES_PASSWORD & co. from the caller's shell.
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(Path.home())},
    )


def test_compose_config_validates_with_env_example() -> None:
    result = run_config("-q", env_file=ENV_EXAMPLE)
    assert result.returncode == 0, result.stderr


def test_compose_config_renders_the_environment() -> None:
    result = run_config("--format", "json", env_file=ENV_EXAMPLE)
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)
    example = env_example()
    api = config["services"]["api"]
    assert api["environment"]["BATON_BROKER_URL"] == f"redis://:{example['REDIS_PASSWORD']}@redis:6379/0"
    assert api["environment"]["BATON_DATABASE_URL"] == (
        f"postgresql://baton:{example['POSTGRES_PASSWORD']}@postgres:5432/baton"
    )
    assert api["environment"]["BATON_QUEUE"] is None, "unset settings stay unset"
    assert config["services"]["flower"]["environment"]["FLOWER_BASIC_AUTH"] == example["FLOWER_BASIC_AUTH"]
    assert config["services"]["worker"]["deploy"]["replicas"] == 2
    assert config["services"]["beat"]["deploy"]["replicas"] == 1
    redis_command = config["services"]["redis"]["command"]
    assert redis_command[redis_command.index("--requirepass") + 1] == example["REDIS_PASSWORD"]


@pytest.mark.parametrize("variable", ["POSTGRES_PASSWORD", "REDIS_PASSWORD", "FLOWER_BASIC_AUTH"])
def test_compose_config_refuses_missing_secrets(tmp_path: Path, variable: str) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in env_example().items() if k != variable))
    result = run_config("-q", env_file=env_file)
    assert result.returncode != 0
    assert variable in result.stderr
