"""docker/kubernetes: rendered by kustomize and validated offline against the Kubernetes API schemas.

`kubectl kustomize` renders the manifests exactly as `kubectl apply -k` would; kubernetes-validate checks every
resource against the API's OpenAPI schemas in strict mode (no unknown field). The KEDA ScaledObject is a custom
resource the API schemas do not include: its fields are checked here against KEDA's documented specification.
"""

import shutil
import subprocess

import kubernetes_validate
import pytest
import yaml

from tests.production import ROOT

KUSTOMIZATION = ROOT / "docker" / "kubernetes"
KUBERNETES_VERSION = "1.33.0"

pytestmark = [
    pytest.mark.subprocess,
    pytest.mark.skipif(shutil.which("kubectl") is None, reason="needs kubectl (Debian: kubernetes-client)"),
]


@pytest.fixture(scope="module")
def resources() -> dict[tuple[str, str], dict]:
    rendered = subprocess.run(  # noqa: S603 (a fixed command)
        ["kubectl", "kustomize", str(KUSTOMIZATION)],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    return {(doc["kind"], doc["metadata"]["name"]): doc for doc in yaml.safe_load_all(rendered) if doc}


def test_every_built_in_resource_passes_strict_schema_validation(resources):
    built_in = {key: doc for key, doc in resources.items() if "keda.sh" not in doc["apiVersion"]}

    for doc in built_in.values():
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)  # raises on any error
    assert {kind for kind, _ in built_in} == {
        "Namespace", "ConfigMap", "Job", "Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget",
    }  # fmt: skip
    assert all(doc["metadata"].get("namespace", "mhc") == "mhc" for doc in resources.values())


def _containers(deployment: dict) -> list[dict]:
    return deployment["spec"]["template"]["spec"]["containers"]


def test_web_is_ready_on_readyz_and_alive_on_healthz_with_resources_and_secrets(resources):
    web = resources["Deployment", "mhc-web"]
    [container] = _containers(web)

    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["resources"]["requests"]["cpu"]
    assert {"secretRef": {"name": "mhc-secrets"}} in container["envFrom"]


def test_beat_never_runs_twice(resources):
    beat = resources["Deployment", "mhc-beat"]

    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}  # the old pod stops before the new one starts
    assert "HorizontalPodAutoscaler" not in {
        kind
        for (kind, _), doc in resources.items()
        if doc.get("spec", {}).get("scaleTargetRef", {}).get("name") == "mhc-beat"
    }


def test_migrations_run_in_a_job_and_not_in_the_web_pods(resources):
    job = resources["Job", "mhc-migrate"]
    [container] = job["spec"]["template"]["spec"]["containers"]

    assert container["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert "DJANGO_MIGRATE_ON_START" not in resources["ConfigMap", "mhc-config"]["data"]


def test_every_selector_matches_its_pods(resources):
    pods = {
        name: doc["spec"]["template"]["metadata"]["labels"]
        for (kind, name), doc in resources.items()
        if kind == "Deployment"
    }
    for (kind, name), doc in resources.items():
        if kind == "Deployment":
            assert doc["spec"]["selector"]["matchLabels"].items() <= pods[name].items()
        if kind == "PodDisruptionBudget":
            assert doc["spec"]["selector"]["matchLabels"].items() <= pods[name].items()
        if kind == "Service":
            assert doc["spec"]["selector"].items() <= pods[name].items()


def test_web_scales_on_cpu_and_the_worker_on_the_broker_queue(resources):
    hpa = resources["HorizontalPodAutoscaler", "mhc-web"]
    scaled = resources["ScaledObject", "mhc-worker"]

    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "mhc-web"}
    assert hpa["spec"]["minReplicas"] >= 2
    # KEDA's ScaledObject (keda.sh/v1alpha1): the target, the bounds, and a redis trigger on Celery's queue list.
    assert scaled["apiVersion"] == "keda.sh/v1alpha1"
    assert scaled["spec"]["scaleTargetRef"] == {"name": "mhc-worker"}
    assert 1 <= scaled["spec"]["minReplicaCount"] <= scaled["spec"]["maxReplicaCount"]
    [trigger] = scaled["spec"]["triggers"]
    assert trigger["type"] == "redis"
    assert trigger["metadata"]["listName"] == "celery"
    assert int(trigger["metadata"]["listLength"]) > 0
    assert trigger["metadata"]["addressFromEnv"] in (ROOT / "docker/kubernetes/secret.example.env").read_text()


def test_every_image_is_the_one_the_overlay_names(resources):
    images = {
        container["image"]
        for doc in resources.values()
        if doc["kind"] in {"Deployment", "Job"}
        for container in doc["spec"]["template"]["spec"]["containers"]
    }

    assert images == {"registry.example.org/mhc:latest"}
