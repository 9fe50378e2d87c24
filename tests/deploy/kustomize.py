"""A small kustomize renderer: exactly the features deploy/k8s uses, so CI needs no kustomize binary.

Supported: `resources` (files and directories with a kustomization), `namespace`, `images`, `replicas`,
`configMapGenerator` / `secretGenerator` (literals, env files, behavior create/merge/replace) with
`generatorOptions.disableNameSuffixHash: true`. Anything else in a kustomization is an error, so a new feature in
deploy/k8s fails loudly here instead of being ignored. When `kubectl` is installed, tests compare this output with
`kubectl kustomize`.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import yaml

type Resource = dict[str, Any]

SUPPORTED_FIELDS: Final = frozenset(
    {
        "apiVersion",
        "kind",
        "resources",
        "namespace",
        "images",
        "replicas",
        "configMapGenerator",
        "secretGenerator",
        "generatorOptions",
    }
)
CLUSTER_SCOPED: Final = frozenset(
    {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "PriorityClass", "StorageClass"}
)
POD_TEMPLATE_KINDS: Final = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"})


class KustomizeError(ValueError):
    pass


def load_yaml_documents(path: Path) -> list[Resource]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def render(directory: Path) -> list[Resource]:
    """The resources `kubectl kustomize directory` would print (in no particular order)."""
    config: Resource = yaml.safe_load((directory / "kustomization.yaml").read_text())
    unknown = set(config) - SUPPORTED_FIELDS
    if unknown:
        raise KustomizeError(f"{directory}: unsupported kustomization fields {sorted(unknown)}")
    resources: list[Resource] = []
    for entry in config.get("resources", []):
        path = (directory / entry).resolve()
        resources += render(path) if path.is_dir() else load_yaml_documents(path)
    _apply_generators(directory, config, resources)
    for resource in resources:
        if "namespace" in config and resource["kind"] not in CLUSTER_SCOPED:
            resource["metadata"]["namespace"] = config["namespace"]
    for image in config.get("images", []):
        _set_image(resources, image)
    for replicas in config.get("replicas", []):
        _set_replicas(resources, replicas["name"], int(replicas["count"]))
    return resources


def _apply_generators(directory: Path, config: Resource, resources: list[Resource]) -> None:
    generators = [("ConfigMap", g) for g in config.get("configMapGenerator", [])]
    generators += [("Secret", g) for g in config.get("secretGenerator", [])]
    if generators and not config.get("generatorOptions", {}).get("disableNameSuffixHash"):
        raise KustomizeError(f"{directory}: generators need generatorOptions.disableNameSuffixHash: true")
    for kind, generator in generators:
        data = dict(_generator_pairs(directory, generator))
        behavior = generator.get("behavior", "create")
        existing = next(
            (r for r in resources if r["kind"] == kind and r["metadata"]["name"] == generator["name"]), None
        )
        if behavior == "create":
            if existing is not None:
                raise KustomizeError(f"{kind} {generator['name']} already exists; use behavior: merge")
            resources.append(_generated(kind, generator["name"], data))
            continue
        if existing is None:
            raise KustomizeError(f"{kind} {generator['name']}: behavior {behavior} needs an existing resource")
        encoded = _generated(kind, generator["name"], data)["data"]
        existing["data"] = encoded if behavior == "replace" else {**existing.get("data", {}), **encoded}


def _generator_pairs(directory: Path, generator: Resource) -> Iterator[tuple[str, str]]:
    for literal in generator.get("literals", []):
        key, _, value = str(literal).partition("=")
        yield key, value
    for env_file in generator.get("envs", []):
        for line in (directory / env_file).read_text().splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                key, _, value = line.partition("=")
                yield key.strip(), value


def _generated(kind: str, name: str, data: dict[str, str]) -> Resource:
    if kind == "ConfigMap":
        return {"apiVersion": "v1", "kind": kind, "metadata": {"name": name}, "data": data}
    encoded = {key: base64.b64encode(value.encode()).decode() for key, value in data.items()}
    return {"apiVersion": "v1", "kind": kind, "metadata": {"name": name}, "type": "Opaque", "data": encoded}


def containers(resource: Resource) -> list[Resource]:
    if resource["kind"] not in POD_TEMPLATE_KINDS:
        return []
    pod = resource["spec"]["template"]["spec"]
    return [*pod.get("initContainers", []), *pod["containers"]]


def _set_image(resources: list[Resource], image: Resource) -> None:
    for resource in resources:
        for container in containers(resource):
            name, _, tag = container["image"].partition(":")
            if name == image["name"]:
                container["image"] = f"{image.get('newName', name)}:{image.get('newTag', tag)}"


def _set_replicas(resources: list[Resource], name: str, count: int) -> None:
    matches = [r for r in resources if r["kind"] in POD_TEMPLATE_KINDS and r["metadata"]["name"] == name]
    if not matches:
        raise KustomizeError(f"replicas: no workload named {name}")
    for resource in matches:
        resource["spec"]["replicas"] = count


def key(resource: Resource) -> tuple[str, str, str]:
    metadata = resource["metadata"]
    return resource["kind"], metadata.get("namespace", ""), metadata["name"]


def normalized(resources: list[Resource]) -> dict[tuple[str, str, str], Resource]:
    """Resources by (kind, namespace, name), with Secret data decoded (kubectl wraps base64 lines)."""
    result: dict[tuple[str, str, str], Resource] = {}
    for resource in resources:
        copy = yaml.safe_load(yaml.safe_dump(resource))
        if copy["kind"] == "Secret":
            copy["data"] = {k: base64.b64decode(v).decode() for k, v in copy.get("data", {}).items()}
        result[key(copy)] = copy
    return result
