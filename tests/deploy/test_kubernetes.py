"""deploy/k8s: rendered like kustomize, validated against the Kubernetes schemas, and checked for what matters."""

from __future__ import annotations

import copy
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import kubernetes_validate  # type: ignore[import-untyped]  # ships no py.typed
import pytest
import yaml

from tests.deploy.dockerfile import ROOT
from tests.deploy.kustomize import Resource, containers, key, normalized, render
from tests.deploy.test_compose import MIN_WORKER_GRACE_S

K8S = ROOT / "deploy/k8s"
KUBERNETES_VERSIONS: Final = ("1.34.0", "1.37.0")
"""The oldest Kubernetes these manifests support, and the newest schema kubernetes-validate ships."""
FFMPEG_STREAM_MIB: Final = 10
"""Private memory of one ffmpeg stream (docs/media-facts.md §4)."""


@pytest.fixture(scope="module")
def k8s_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of deploy/k8s with the overlay's secrets.env made from its example (the real one is never in git)."""
    tree = tmp_path_factory.mktemp("k8s") / "k8s"
    shutil.copytree(K8S, tree)
    overlay = tree / "overlays/production"
    shutil.copy(overlay / "secrets.env.example", overlay / "secrets.env")
    return tree


@pytest.fixture(scope="module", params=["base", "overlays/production"])
def rendered(request: pytest.FixtureRequest, k8s_tree: Path) -> list[Resource]:
    return render(k8s_tree / request.param)


def _one(resources: list[Resource], kind: str, name: str) -> Resource:
    matches = [r for r in resources if r["kind"] == kind and r["metadata"]["name"] == name]
    assert len(matches) == 1, f"{kind}/{name}: {len(matches)} found"
    return matches[0]


def _config(resources: list[Resource]) -> dict[str, str]:
    data: dict[str, str] = _one(resources, "ConfigMap", "encore-config")["data"]
    return data


def _workloads(resources: list[Resource]) -> Iterator[Resource]:
    return (r for r in resources if r["kind"] in ("StatefulSet", "Deployment"))


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_resource_validates_strictly(rendered: list[Resource], version: str) -> None:
    assert rendered
    for resource in rendered:
        kubernetes_validate.validate(resource, version, strict=True)


def test_strict_validation_catches_a_misspelt_field(rendered: list[Resource]) -> None:
    worker = copy.deepcopy(_one(rendered, "Deployment", "encore-worker"))
    worker["spec"]["template"]["spec"]["terminationGracePeriodSecond"] = 30
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(worker, KUBERNETES_VERSIONS[0], strict=True)


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed (optional cross-check)")
@pytest.mark.parametrize("overlay", ["base", "overlays/production"])
def test_renderer_matches_kubectl_kustomize(k8s_tree: Path, overlay: str) -> None:
    output = subprocess.run(
        ["kubectl", "kustomize", str(k8s_tree / overlay)], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    theirs = normalized([doc for doc in yaml.safe_load_all(output) if doc])
    assert normalized(render(k8s_tree / overlay)) == theirs


def test_gateway_shards_follow_the_statefulset_replicas(rendered: list[Resource]) -> None:
    gateway = _one(rendered, "StatefulSet", "encore-gateway")
    assert str(gateway["spec"]["replicas"]) == _config(rendered)["ENCORE_GATEWAY__SHARD_COUNT"]
    (container,) = containers(gateway)
    env = {item["name"]: item for item in container["env"]}
    assert env["ENCORE_GATEWAY__SHARD_IDS"]["value"] == "from-hostname"
    service = _one(rendered, "Service", gateway["spec"]["serviceName"])
    assert service["spec"]["clusterIP"] == "None"


def test_probes_resources_and_security_of_every_container(rendered: list[Resource]) -> None:
    config = _config(rendered)
    for workload in _workloads(rendered):
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["automountServiceAccountToken"] is False
        for container in containers(workload):
            component = workload["metadata"]["labels"]["app.kubernetes.io/component"]
            (port,) = container["ports"]
            assert str(port["containerPort"]) == config[f"ENCORE_{component.upper()}__HEALTH_PORT"]
            assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": port["name"]}
            assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": port["name"]}
            assert {"cpu", "memory"} <= set(container["resources"]["requests"])
            assert "memory" in container["resources"]["limits"]
            assert container["securityContext"]["readOnlyRootFilesystem"] is True
            assert ":" in container["image"]
            assert not container["image"].endswith(":latest")
            assert {"secretRef": {"name": "encore-secrets"}} in container["envFrom"]


def _mib(quantity: str) -> int:
    units = {"Mi": 1, "Gi": 1024}
    return int(quantity[:-2]) * units[quantity[-2:]]


def test_worker_memory_fits_its_guild_budget(rendered: list[Resource]) -> None:
    (container,) = containers(_one(rendered, "Deployment", "encore-worker"))
    max_guilds = int(_config(rendered)["ENCORE_WORKER__MAX_GUILDS"])
    assert _mib(container["resources"]["limits"]["memory"]) >= max_guilds * FFMPEG_STREAM_MIB + 256


def test_worker_shutdown_leaves_time_for_the_handoff(rendered: list[Resource]) -> None:
    worker = _one(rendered, "Deployment", "encore-worker")
    assert worker["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] >= MIN_WORKER_GRACE_S
    assert worker["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": 1, "maxUnavailable": 0}
    assert "replicas" not in worker["spec"], "the HPA owns the replica count"


def test_hpa_scales_the_worker_deployment_on_cpu(rendered: list[Resource]) -> None:
    hpa = _one(rendered, "HorizontalPodAutoscaler", "encore-worker")
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "encore-worker"}
    assert hpa["spec"]["minReplicas"] >= 2
    assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu"]


def _selects(selector: dict[str, str], workload: Resource) -> bool:
    labels: dict[str, str] = workload["spec"]["template"]["metadata"]["labels"]
    return selector.items() <= labels.items()


def test_pdbs_and_services_select_exactly_one_workload(rendered: list[Resource]) -> None:
    workloads = list(_workloads(rendered))
    for resource in rendered:
        if resource["kind"] == "PodDisruptionBudget":
            selector = resource["spec"]["selector"]["matchLabels"]
        elif resource["kind"] == "Service":
            selector = resource["spec"]["selector"]
        else:
            continue
        assert sum(_selects(selector, workload) for workload in workloads) == 1, key(resource)
    for workload in workloads:
        assert (
            workload["spec"]["selector"]["matchLabels"].items()
            <= workload["spec"]["template"]["metadata"]["labels"].items()
        )
    pdbs = [r for r in rendered if r["kind"] == "PodDisruptionBudget"]
    assert {p["metadata"]["name"] for p in pdbs} == {"encore-gateway", "encore-worker"}


def test_no_secret_values_in_the_repository(rendered: list[Resource]) -> None:
    secrets: list[dict[str, Any]] = [r for r in rendered if r["kind"] == "Secret"]
    base = render(K8S / "base")
    assert not [r for r in base if r["kind"] == "Secret"], "the base never carries a Secret"
    assert "secrets.env" in (K8S / "overlays/production/.gitignore").read_text().split()
    for secret in secrets:
        assert set(secret["data"]) == {"ENCORE_DISCORD_TOKEN", "ENCORE_REDIS__URL"}
    for workload in _workloads(rendered):
        for container in containers(workload):
            for item in container.get("env", []):
                assert "TOKEN" not in item["name"], "tokens come from the Secret only"


def test_redis_values_enable_sentinel_aof_and_a_primary_service() -> None:
    values: dict[str, Any] = yaml.safe_load((ROOT / "deploy/redis/values-bitnami-sentinel.yaml").read_text())
    assert values["architecture"] == "replication"
    assert values["sentinel"]["enabled"] is True
    assert values["sentinel"]["masterService"]["enabled"] is True, "encore connects to one primary through it"
    config = values["commonConfiguration"].splitlines()
    for line in ("appendonly yes", "appendfsync everysec", "maxmemory-policy noeviction"):
        assert line in config
    assert values["auth"]["existingSecret"], "the password comes from a Secret, not the values file"
    example = (K8S / "overlays/production/secrets.env.example").read_text()
    assert "-master.encore.svc:6379" in example
