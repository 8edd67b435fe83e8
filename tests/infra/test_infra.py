"""The deployment files, checked by the tools that will read them.

The Docker job templates go through prefect-docker's own job configuration and worker
(the container request it would send to Docker) and docker-py's host config; the
compose file, Dockerfiles, Prometheus and Grafana files are parsed and cross-checked.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import re
from pathlib import Path
from typing import Any

import docker.types
import pytest
import yaml
from prefect.flows import Flow
from prefect_docker.worker import DockerWorker, DockerWorkerJobConfiguration

from tests.conftest import REPO

INFRA = REPO / "infra"
SIDECAR_METRICS = (
    "mumu_pipeline_duration_seconds",
    "mumu_stage_duration_seconds",
    "mumu_recordings_total",
    "mumu_audio_seconds_total",
    "mumu_llm_tokens_total",
)


class FakeDockerClient:
    def version(self) -> dict[str, str]:
        return {"Version": "28.2.2"}


def container_request(template_file: str) -> dict[str, Any]:
    template = json.loads((INFRA / template_file).read_text())
    defaults = {
        name: spec["default"]
        for name, spec in template["variables"]["properties"].items()
        if "default" in spec
    }
    configuration = asyncio.run(
        DockerWorkerJobConfiguration.from_template_and_values(template, defaults)
    )
    worker = DockerWorker(work_pool_name="mumu-gpu")
    return worker._build_container_settings(FakeDockerClient(), configuration)  # type: ignore[arg-type]


@pytest.mark.usefixtures("prefect_api")
def test_the_gpu_pool_asks_docker_for_the_gpu_and_the_model_volume() -> None:
    request = container_request("docker-gpu-job-template.json")
    assert request["device_requests"] == [
        {"driver": "nvidia", "count": -1, "capabilities": [["gpu"]]}
    ]
    assert request["volumes"] == ["mumu-models:/models"]
    assert request["image"] == "mumu-gpu:latest"
    assert request["network"] == "mumu"
    assert request["environment"]["MUMU_WHISPER_DEVICE"] == "cuda"
    assert request["environment"]["MUMU_LLM_CONCURRENCY_LIMIT"] == "mumu-llm"
    host_config = docker.types.HostConfig(
        version="1.45", device_requests=request["device_requests"], binds=request["volumes"]
    )
    assert host_config["DeviceRequests"][0]["Capabilities"] == [["gpu"]]
    assert host_config["DeviceRequests"][0]["Count"] == -1


@pytest.mark.usefixtures("prefect_api")
def test_the_cpu_pool_asks_for_no_gpu() -> None:
    request = container_request("docker-cpu-job-template.json")
    assert "device_requests" not in request
    assert request["environment"]["MUMU_WHISPER_DEVICE"] == "cpu"
    assert request["volumes"] == ["mumu-models:/models"]


def test_every_deployment_points_at_a_flow_and_every_variable_has_a_default() -> None:
    text = (REPO / "deployments.yaml").read_text()
    config = yaml.safe_load(text)
    for deployment in config["deployments"]:
        path, function = deployment["entrypoint"].split(":")
        module = "mumu." + path.removesuffix(".py").replace("/", ".")
        assert isinstance(getattr(importlib.import_module(module), function), Flow)
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    used = set(re.findall(r"\{\{ \$(\w+) \}\}", code))
    defaults = set(re.findall(r"^export (\w+)=", (INFRA / "deploy-env.sh").read_text(), re.M))
    assert used and used <= defaults


def test_the_compose_stack_hangs_together() -> None:
    compose = yaml.safe_load((INFRA / "compose.yaml").read_text())
    services = compose["services"]
    assert {"postgres", "prefect-server", "worker-gpu", "sidecar", "prometheus", "grafana"} <= set(
        services
    )
    for name, service in services.items():
        assert "image" in service or "build" in service, name
        assert service.get("networks") == ["mumu"], name
        for dependency in service.get("depends_on", []):
            assert dependency in services, f"{name} depends on unknown {dependency}"
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (INFRA / source).exists(), f"{name} mounts missing {source}"
            elif not source.startswith("/"):
                assert source in compose["volumes"], f"{name} uses undeclared volume {source}"
    assert compose["networks"]["mumu"]["name"] == "mumu"
    assert compose["volumes"]["models"]["name"] == "mumu-models"
    assert "--type docker" in services["worker-gpu"]["command"]
    assert "/var/run/docker.sock:/var/run/docker.sock" in services["worker-gpu"]["volumes"]
    prefect_db = services["prefect-server"]["environment"]["PREFECT_API_DATABASE_CONNECTION_URL"]
    assert prefect_db.startswith("postgresql+asyncpg://")
    assert "pg_trgm" in (INFRA / "postgres" / "init.sql").read_text()


def test_prometheus_scrapes_the_sidecar_and_grafana_charts_its_metrics() -> None:
    prometheus = yaml.safe_load((INFRA / "prometheus" / "prometheus.yml").read_text())
    targets = prometheus["scrape_configs"][0]["static_configs"][0]["targets"]
    assert targets == ["sidecar:9108"]
    dashboard = json.loads((INFRA / "grafana" / "dashboards" / "mumu.json").read_text())
    expressions = " ".join(t["expr"] for p in dashboard["panels"] for t in p["targets"])
    for name in SIDECAR_METRICS:
        assert name.removesuffix("_total") in expressions, name
    titles = " ".join(p["title"].lower() for p in dashboard["panels"])
    for topic in ("throughput", "stage duration", "failures by stage", "audio", "llm tokens"):
        assert topic in titles


@pytest.mark.parametrize("dockerfile", ["Dockerfile.gpu", "Dockerfile.cpu"])
def test_dockerfiles_copy_what_exists_and_install_the_project(dockerfile: str) -> None:
    text = re.sub(r"\\\n\s*", " ", (INFRA / dockerfile).read_text())
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    instructions = [line.split(maxsplit=1) for line in lines]
    keywords = {parts[0] for parts in instructions if parts[0].isupper()}
    assert keywords <= {"FROM", "ENV", "RUN", "WORKDIR", "COPY", "VOLUME", "EXPOSE", "CMD"}
    copied = [parts[1].split()[:-1] for parts in instructions if parts[0] == "COPY"]
    for sources in copied:
        for source in sources:
            assert (REPO / source).exists(), source
    flat = {source for sources in copied for source in sources}
    assert {"mumu", "flows", "tasks", "blocks", "migrations", "pyproject.toml"} <= flat
    assert any("pip install '.[docker]'" in line for line in lines)
    base = next(parts[1] for parts in instructions if parts[0] == "FROM")
    if dockerfile == "Dockerfile.gpu":
        assert re.fullmatch(r"nvidia/cuda:12\.[\d.]+-cudnn-runtime-ubuntu[\d.]+", base)


def test_pools_and_blocks_are_set_up_by_one_script() -> None:
    script = (INFRA / "setup.sh").read_text()
    for needle in (
        "docker-gpu-job-template.json",
        "set-concurrency-limit",
        "global-concurrency-limit create mumu-llm",
        "prefect block register -m mumu.blocks",
        "deploy --all --prefect-file deployments.yaml",
    ):
        assert needle in script
    assert Path(INFRA / "deploy-env.sh").exists()
