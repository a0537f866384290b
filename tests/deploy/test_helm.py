"""The Helm chart helm/baton: static checks, `helm lint --strict`, and `helm template` with the
chart's ci/ values files, whose rendered manifests are checked here and, when the
kubernetes-validate package is installed, against the Kubernetes OpenAPI schemas (strict).

Helm 4 (`helm`) and Helm 3 (`helm3`) run when installed (tests/deploy/install-tools.sh); no
cluster is needed.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.tools import CHART, ROOT, helm_binaries, missing

CI_VALUES = sorted((CHART / "ci").glob("*-values.yaml"))
TEMPLATES = {
    "_helpers.tpl",
    "NOTES.txt",
    "secret.yaml",
    "migrate-secret.yaml",
    "migrate-job.yaml",
    "api-deployment.yaml",
    "api-service.yaml",
    "ingress.yaml",
    "worker-deployment.yaml",
    "worker-hpa.yaml",
    "beat-deployment.yaml",
    "flower-deployment.yaml",
    "flower-service.yaml",
    "api-key-job.yaml",
    "tests/test-readiness.yaml",
}
# Values whose content is a Kubernetes object or free-form map/list: documented as a whole.
OPAQUE = {
    "resources",
    "readinessProbe",
    "livenessProbe",
    "podSecurityContext",
    "securityContext",
    "podAnnotations",
    "annotations",
    "hosts",
    "tls",
    "nodeSelector",
    "tolerations",
    "affinity",
    "config",
    "extraEnv",
    "imagePullSecrets",
}


# --- static -----------------------------------------------------------------------------------


def test_chart_metadata() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["apiVersion"] == "v2"
    assert chart["name"] == "baton"
    assert chart["type"] == "application"
    assert re.fullmatch(r"\d+\.\d+\.\d+", chart["version"])
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert f'version = "{chart["appVersion"]}"' in pyproject, "appVersion is the project's version"


def test_every_template_exists() -> None:
    present = {str(p.relative_to(CHART / "templates")) for p in (CHART / "templates").rglob("*") if p.is_file()}
    assert present == TEMPLATES


def values_paths(node: Any, prefix: str = "") -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            path = f"{prefix}.{key}" if prefix else key
            yield path
            if key not in OPAQUE:
                yield from values_paths(value, path)


@pytest.fixture(scope="module")
def values() -> dict[str, Any]:
    return yaml.safe_load((CHART / "values.yaml").read_text())


def test_values_parse_with_safe_defaults(values: dict[str, Any]) -> None:
    assert values["database"]["url"] == "" and values["broker"]["url"] == "", "no credentials shipped"
    assert values["flower"]["basicAuth"] == ""
    assert values["encryption"]["keys"] == ""
    assert values["podSecurityContext"]["runAsNonRoot"] is True
    assert values["securityContext"]["readOnlyRootFilesystem"] is True
    assert values["worker"]["autoscaling"]["enabled"] is True
    assert values["apiKeyBootstrap"]["enabled"] is False
    assert "replicaCount" not in values["beat"], "beat's replica count is not configurable"


def test_every_value_is_commented_in_values_yaml(values: dict[str, Any]) -> None:
    """Each key (down to the opaque objects) has a comment line right above it."""
    lines = (CHART / "values.yaml").read_text().splitlines()
    stack: list[tuple[int, str]] = []
    documented: set[str] = set()
    for number, line in enumerate(lines):
        match = re.match(r"^(\s*)([A-Za-z][\w-]*):", line)
        if not match or line.lstrip().startswith("-"):
            continue
        indent = len(match.group(1))
        while stack and stack[-1][0] >= indent:
            stack.pop()
        path = ".".join([key for _, key in stack] + [match.group(2)])
        stack.append((indent, match.group(2)))
        previous = lines[number - 1].strip() if number else ""
        if previous.startswith("#"):
            documented.add(path)
    undocumented = [p for p in values_paths(values) if p not in documented]
    assert not undocumented, f"values without a comment: {undocumented}"


def test_every_value_is_in_the_docs(values: dict[str, Any]) -> None:
    docs = (ROOT / "docs" / "deploy.md").read_text()
    leaves = [p for p in values_paths(values) if p.split(".")[-1] in OPAQUE or not isinstance(_get(values, p), dict)]
    absent = [p for p in leaves if f"`{p}`" not in docs]
    assert not absent, f"values not documented in docs/deploy.md: {absent}"


def _get(values: dict[str, Any], path: str) -> Any:
    node: Any = values
    for key in path.split("."):
        node = node[key]
    return node


# --- helm lint / template ---------------------------------------------------------------------


def _helms() -> list[str]:
    return sorted(helm_binaries()) or ["none"]


@pytest.fixture(params=_helms())
def helm(request: pytest.FixtureRequest) -> str:
    found = helm_binaries()
    if request.param not in found:
        missing("helm")
    return found[request.param]


def run_helm(helm: str, *args: str) -> subprocess.CompletedProcess[str]:
    # No cluster: should a command try to reach one, it gets the discard port, not whatever
    # listens on localhost:8080 (kubectl's default).
    env = {**os.environ, "KUBECONFIG": os.devnull, "HELM_KUBEAPISERVER": "https://127.0.0.1:9"}
    return subprocess.run([helm, *args], capture_output=True, text=True, timeout=120, check=False, env=env)


def render(helm: str, *args: str) -> list[dict[str, Any]]:
    result = run_helm(helm, "template", "rel", str(CHART), "--namespace", "baton", *args)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def render_ci(helm: str, name: str, *args: str) -> list[dict[str, Any]]:
    return render(helm, "-f", str(CHART / "ci" / f"{name}-values.yaml"), *args)


def by_kind_name(docs: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(doc["kind"], doc["metadata"]["name"]): doc for doc in docs}


def pod_spec(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["spec"] if doc["kind"] == "Pod" else doc["spec"]["template"]["spec"]


def workloads(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [doc for doc in docs if doc["kind"] in {"Deployment", "Job", "Pod"}]


def env_of(container: dict[str, Any]) -> dict[str, Any]:
    return {item["name"]: item for item in container.get("env", [])}


@pytest.mark.parametrize("values_file", CI_VALUES, ids=lambda p: p.stem)
def test_helm_lint_strict(helm: str, values_file: Path) -> None:
    result = run_helm(helm, "lint", "--strict", str(CHART), "-f", str(values_file))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 chart(s) failed" in result.stdout


def test_default_render(helm: str) -> None:
    docs = by_kind_name(render_ci(helm, "default"))
    assert set(docs) == {
        ("Secret", "rel-baton"),
        ("Secret", "rel-baton-migrate"),
        ("Service", "rel-baton-api"),
        ("Service", "rel-baton-flower"),
        ("Deployment", "rel-baton-api"),
        ("Deployment", "rel-baton-worker"),
        ("Deployment", "rel-baton-beat"),
        ("Deployment", "rel-baton-flower"),
        ("HorizontalPodAutoscaler", "rel-baton-worker"),
        ("Job", "rel-baton-migrate"),
        ("Pod", "rel-baton-test-readiness"),
    }


def test_beat_is_exactly_one_even_during_rollouts(helm: str) -> None:
    docs = by_kind_name(render_ci(helm, "default", "--set", "worker.autoscaling.enabled=false"))
    beat = docs[("Deployment", "rel-baton-beat")]
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    container = pod_spec(beat)["containers"][0]
    args = container["args"]
    assert args[0] == "beat"
    schedule = args[args.index("--schedule") + 1]
    assert schedule.startswith("/tmp/")
    assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"]
    assert any(v["name"] == "tmp" and "emptyDir" in v for v in pod_spec(beat)["volumes"])


def test_migrations_run_as_a_pre_install_and_pre_upgrade_hook(helm: str) -> None:
    docs = by_kind_name(render_ci(helm, "default"))
    job = docs[("Job", "rel-baton-migrate")]
    annotations = job["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert "before-hook-creation" in annotations["helm.sh/hook-delete-policy"]
    container = pod_spec(job)["containers"][0]
    assert container["args"] == ["migrate"]
    assert pod_spec(job)["restartPolicy"] == "Never"
    # Its database URL comes from a hook Secret created before it (the release's Secret does
    # not exist yet during pre-install).
    ref = env_of(container)["BATON_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
    hook_secret = docs[("Secret", ref["name"])]
    secret_annotations = hook_secret["metadata"]["annotations"]
    assert secret_annotations["helm.sh/hook"] == annotations["helm.sh/hook"]
    assert int(secret_annotations["helm.sh/hook-weight"]) < int(annotations.get("helm.sh/hook-weight", "0"))
    assert ref["key"] in hook_secret["stringData"]
    assert set(env_of(container)) == {"BATON_DATABASE_URL"}, "the migration gets the database only"


def test_worker_autoscaling(helm: str) -> None:
    docs = by_kind_name(
        render_ci(
            helm,
            "default",
            "--set",
            "worker.autoscaling.minReplicas=3,worker.autoscaling.maxReplicas=7",
            "--set",
            "worker.autoscaling.targetCPUUtilizationPercentage=55",
        )
    )
    hpa = docs[("HorizontalPodAutoscaler", "rel-baton-worker")]
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "rel-baton-worker"}
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (3, 7)
    metric = hpa["spec"]["metrics"][0]["resource"]
    assert metric["name"] == "cpu" and metric["target"]["averageUtilization"] == 55
    assert "replicas" not in docs[("Deployment", "rel-baton-worker")]["spec"], "the HPA owns the replica count"
    worker = pod_spec(docs[("Deployment", "rel-baton-worker")])["containers"][0]
    assert worker["resources"]["requests"]["cpu"], "CPU utilization needs a CPU request"


def test_api_probes_and_args(helm: str) -> None:
    docs = by_kind_name(render_ci(helm, "default", "--set", "api.workers=3,api.threads=8,api.replicaCount=4"))
    api = docs[("Deployment", "rel-baton-api")]
    assert api["spec"]["replicas"] == 4
    container = pod_spec(api)["containers"][0]
    assert container["args"] == ["api", "--bind", "0.0.0.0:8080", "--workers", "3", "--threads", "8"]
    assert container["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    assert container["readinessProbe"]["httpGet"] == {"path": "/readiness", "port": "http"}
    # Liveness must not follow PostgreSQL/Redis: a TCP check of gunicorn.
    assert container["livenessProbe"]["tcpSocket"] == {"port": "http"}
    assert "httpGet" not in container["livenessProbe"]
    service = docs[("Service", "rel-baton-api")]
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    assert service["spec"]["selector"] == api["spec"]["selector"]["matchLabels"]


@pytest.mark.parametrize("values_name", ["default", "existing-secrets", "no-flower"])
def test_every_pod_is_non_root_read_only_and_bounded(helm: str, values_name: str) -> None:
    for doc in workloads(render_ci(helm, values_name)):
        spec = pod_spec(doc)
        name = doc["metadata"]["name"]
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["runAsUser"] != 0, name
        assert spec["automountServiceAccountToken"] is False, name
        assert spec["enableServiceLinks"] is False, name
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["capabilities"]["drop"] == ["ALL"], name
            assert container["resources"]["requests"]["cpu"], name
            assert container["resources"]["requests"]["memory"], name
            assert container["resources"]["limits"]["memory"], name
        if doc["kind"] != "Pod":
            assert any(m["mountPath"] == "/tmp" for c in spec["containers"] for m in c["volumeMounts"]), name


def test_flower_is_authenticated_and_least_privileged(helm: str) -> None:
    docs = by_kind_name(render_ci(helm, "default"))
    flower = pod_spec(docs[("Deployment", "rel-baton-flower")])["containers"][0]
    assert flower["command"] == ["celery"]
    assert flower["args"][:3] == ["--app", "workers.app:celery", "flower"]
    env = env_of(flower)
    assert env["FLOWER_BASIC_AUTH"]["valueFrom"]["secretKeyRef"] == {"name": "rel-baton", "key": "flower-basic-auth"}
    assert "BATON_DATABASE_URL" not in env, "Flower needs the broker only"
    assert flower["readinessProbe"]["httpGet"]["path"] == "/healthcheck"
    secret = docs[("Secret", "rel-baton")]
    assert secret["stringData"]["flower-basic-auth"] == "admin:placeholder"


def test_secret_values_only_in_secrets(helm: str) -> None:
    docs = render_ci(helm, "default")
    for doc in docs:
        if doc["kind"] != "Secret":
            text = yaml.safe_dump(doc)
            assert "placeholder" not in text, f"{doc['kind']} {doc['metadata']['name']} carries a secret value"


def test_existing_secrets(helm: str) -> None:
    docs = by_kind_name(render_ci(helm, "existing-secrets"))
    assert not [key for key in docs if key[0] == "Secret"], "nothing to store: no chart Secret"
    api = env_of(pod_spec(docs[("Deployment", "rel-baton-api")])["containers"][0])
    assert api["BATON_DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {"name": "pg-app", "key": "uri"}
    assert api["BATON_BROKER_URL"]["valueFrom"]["secretKeyRef"] == {"name": "baton-broker", "key": "broker-url"}
    assert api["BATON_ENCRYPTION_KEYS"]["valueFrom"]["secretKeyRef"] == {
        "name": "baton-encryption",
        "key": "encryption-keys",
    }
    assert api["BATON_LOG_FORMAT"] == {"name": "BATON_LOG_FORMAT", "value": "json"}
    assert api["BATON_PARTITIONS_AHEAD"]["value"] == "5"
    assert api["BATON_AUTH_ENABLED"]["value"] == "true"
    assert api["TZ"]["value"] == "UTC"
    migrate = env_of(pod_spec(docs[("Job", "rel-baton-migrate")])["containers"][0])
    assert migrate["BATON_DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {"name": "pg-app", "key": "uri"}
    flower = env_of(pod_spec(docs[("Deployment", "rel-baton-flower")])["containers"][0])
    assert flower["FLOWER_BASIC_AUTH"]["valueFrom"]["secretKeyRef"] == {
        "name": "baton-flower",
        "key": "flower-basic-auth",
    }
    beat = env_of(pod_spec(docs[("Deployment", "rel-baton-beat")])["containers"][0])
    assert "BATON_ENCRYPTION_KEYS" not in beat


def test_options(helm: str) -> None:
    docs = by_kind_name(render_ci(helm, "existing-secrets"))
    assert docs[("Deployment", "rel-baton-worker")]["spec"]["replicas"] == 4
    assert ("HorizontalPodAutoscaler", "rel-baton-worker") not in docs
    ingress = docs[("Ingress", "rel-baton-api")]
    assert ingress["spec"]["ingressClassName"] == "nginx"
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "rel-baton-api", "port": {"name": "http"}}
    service = docs[("Service", "rel-baton-api")]
    assert service["spec"]["type"] == "LoadBalancer"
    assert service["spec"]["ports"][0]["nodePort"] == 30080
    api = pod_spec(docs[("Deployment", "rel-baton-api")])
    assert "--access-log" in api["containers"][0]["args"]
    assert api["serviceAccountName"] == "baton"
    assert api["imagePullSecrets"] == [{"name": "regcred"}]
    assert api["nodeSelector"] == {"kubernetes.io/os": "linux"}
    bootstrap = docs[("Job", "rel-baton-api-key")]
    assert bootstrap["metadata"]["annotations"]["helm.sh/hook"] == "post-install"
    assert pod_spec(bootstrap)["containers"][0]["args"] == ["api-key", "create", "admin"]
    assert bootstrap["spec"]["ttlSecondsAfterFinished"] == 900


def test_flower_and_migrations_can_be_disabled(helm: str) -> None:
    docs = by_kind_name(render_ci(helm, "no-flower"))
    assert not [key for key in docs if "flower" in key[1]]
    assert ("Job", "rel-baton-migrate") not in docs
    assert ("Secret", "rel-baton-migrate") not in docs
    secret = docs[("Secret", "rel-baton")]
    assert set(secret["stringData"]) == {"database-url", "broker-url", "encryption-keys"}
    worker = env_of(pod_spec(docs[("Deployment", "rel-baton-worker")])["containers"][0])
    assert worker["BATON_ENCRYPTION_KEYS"]["valueFrom"]["secretKeyRef"] == {
        "name": "rel-baton",
        "key": "encryption-keys",
    }


def test_image_and_names(helm: str) -> None:
    docs = by_kind_name(
        render_ci(helm, "default", "--set", "image.repository=registry.example.com/baton,image.tag=1.2.3")
    )
    api = pod_spec(docs[("Deployment", "rel-baton-api")])["containers"][0]
    assert api["image"] == "registry.example.com/baton:1.2.3"
    default = by_kind_name(render_ci(helm, "default"))
    assert pod_spec(default[("Deployment", "rel-baton-api")])["containers"][0]["image"] == "baton:0.1.0"
    renamed = by_kind_name(render_ci(helm, "default", "--set", "fullnameOverride=engine"))
    assert ("Deployment", "engine-beat") in renamed


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "broker.url=redis://x"], "database.url or database.existingSecret is required"),
        (["--set", "database.url=postgresql://x"], "broker.url or broker.existingSecret is required"),
        (
            ["--set", "database.url=postgresql://x,broker.url=redis://x"],
            "flower.basicAuth or flower.existingSecret is required",
        ),
        (
            ["-f", str(CHART / "ci" / "default-values.yaml"), "--set", "flower.basicAuth=nocolon"],
            "flower.basicAuth must be user:password",
        ),
        (
            ["-f", str(CHART / "ci" / "default-values.yaml"), "--set", "config.BATON_DATABASE_URL=postgresql://x"],
            "BATON_DATABASE_URL does not belong in config",
        ),
        (
            [
                "-f",
                str(CHART / "ci" / "default-values.yaml"),
                "--set",
                "worker.autoscaling.minReplicas=5,worker.autoscaling.maxReplicas=2",
            ],
            "minReplicas must not exceed maxReplicas",
        ),
    ],
)
def test_render_refuses_broken_configurations(helm: str, args: list[str], message: str) -> None:
    result = run_helm(helm, "template", "rel", str(CHART), *args)
    assert result.returncode != 0
    assert message in result.stderr


def test_notes(helm: str) -> None:
    version = run_helm(helm, "version", "--short").stdout
    if version.startswith("v3."):
        pytest.skip("Helm 3 renders NOTES.txt only with a cluster (install --dry-run); Helm 4 checks them")
    result = run_helm(
        helm, "install", "rel", str(CHART), "--dry-run=client", "-f", str(CHART / "ci" / "default-values.yaml")
    )
    assert result.returncode == 0, result.stderr
    notes = result.stdout.split("NOTES:", 1)[1]
    assert "baton api-key create admin" in notes
    assert "port-forward svc/rel-baton-flower" in notes
    assert "exactly 1 pod" in notes


# --- Kubernetes schemas -----------------------------------------------------------------------


@pytest.mark.parametrize("values_file", CI_VALUES, ids=lambda p: p.stem)
@pytest.mark.parametrize("kubernetes", ["1.25.0", "latest"])
def test_rendered_manifests_match_the_kubernetes_schemas(helm: str, values_file: Path, kubernetes: str) -> None:
    try:
        import kubernetes_validate
    except ImportError:
        missing("the kubernetes-validate package (pip install kubernetes-validate)")
    version = kubernetes_validate.latest_version() if kubernetes == "latest" else kubernetes
    for doc in render(helm, "-f", str(values_file)):
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{doc['kind']} {doc['metadata']['name']} (Kubernetes {version}): {exc.message}")


# --- the commands the chart and docker-compose.yml run exist ------------------------------------


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("api", ["--bind", "--workers", "--threads", "--access-log"]),
        ("worker", ["--concurrency", "--loglevel"]),
        ("beat", ["--schedule", "--loglevel"]),
        ("migrate", []),
    ],
)
def test_baton_commands_take_the_options_used(command: str, options: list[str]) -> None:
    from click.testing import CliRunner

    from cli.main import cli

    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0, result.output
    for option in options:
        assert option in result.output, f"baton {command} {option}"
    create = CliRunner().invoke(cli, ["api-key", "create", "--help"])
    assert create.exit_code == 0 and "NAME" in create.output


def test_flower_app_path_exists() -> None:
    import workers.app

    assert workers.app.celery.main == "baton", "celery --app workers.app:celery"
