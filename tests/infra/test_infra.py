"""The deployment files, checked by the tools that will read them.

The Docker job templates go through prefect-docker's own job configuration and worker
(the container request it would send to Docker) and docker-py's host config; the
compose file, Dockerfiles, Prometheus and Grafana files are parsed and cross-checked.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import inspect
import json
import re
from typing import Any

import docker.types
import pytest
import yaml
from prefect.flows import Flow
from prefect_docker.worker import DockerWorker, DockerWorkerJobConfiguration

from mumu.cli.admin import sidecar
from tests.conftest import REPO

INFRA = REPO / "infra"
SIDECAR_METRICS = (
    "mumu_pipeline_duration_seconds",
    "mumu_stage_duration_seconds",
    "mumu_recordings",
    "mumu_flow_runs",
    "mumu_audio_seconds_total",
    "mumu_llm_tokens_total",
)


class FakeDockerClient:
    def version(self) -> dict[str, str]:
        return {"Version": "28.2.2"}


def rendered(template_file: str, **environ: str) -> dict[str, Any]:
    """The template as infra/setup.sh gives it to the pool, through infra/job_template.py."""
    spec = importlib.util.spec_from_file_location("job_template", INFRA / "job_template.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    template = json.loads((INFRA / template_file).read_text())
    image = "mumu-gpu:latest" if "gpu" in template_file else "mumu-cpu:latest"
    result: dict[str, Any] = module.render(template, image, environ)
    return result


def container_request(template_file: str, **environ: str) -> dict[str, Any]:
    template = rendered(template_file, **environ)
    defaults = {
        name: spec["default"]
        for name, spec in template["variables"]["properties"].items()
        if "default" in spec
    }
    configuration = asyncio.run(
        DockerWorkerJobConfiguration.from_template_and_values(template, defaults)
    )
    worker = DockerWorker(work_pool_name="mumu-gpu")
    request: dict[str, Any] = worker._build_container_settings(FakeDockerClient(), configuration)
    return request


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_api")
def test_the_gpu_pool_asks_docker_for_the_gpu_and_the_model_volume() -> None:
    request = container_request("docker-gpu-job-template.json")
    assert request["device_requests"] == [
        {"driver": "nvidia", "count": -1, "capabilities": [["gpu"]]}
    ]
    assert request["volumes"] == ["mumu-models:/models", "mumu-inbox:/data/inbox"]
    assert request["image"] == "mumu-gpu:latest"
    assert (request["network_mode"], request["network"]) == ("host", None)
    assert request["auto_remove"] is True
    assert request["environment"]["MUMU_WHISPER_DEVICE"] == "cuda"
    assert request["environment"]["MUMU_LLM_CONCURRENCY_LIMIT"] == "mumu-llm"
    host_config = docker.types.HostConfig(
        version="1.45", device_requests=request["device_requests"], binds=request["volumes"]
    )
    assert host_config["DeviceRequests"][0]["Capabilities"] == [["gpu"]]
    assert host_config["DeviceRequests"][0]["Count"] == -1


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_api")
def test_the_cpu_pool_asks_for_no_gpu() -> None:
    request = container_request("docker-cpu-job-template.json")
    assert "device_requests" not in request
    assert request["environment"]["MUMU_WHISPER_DEVICE"] == "cpu"
    assert request["image"] == "mumu-cpu:latest"
    assert request["volumes"] == ["mumu-models:/models", "mumu-inbox:/data/inbox"]


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_api")
def test_a_site_chooses_network_volumes_and_public_url_when_setting_up() -> None:
    """The compose stack's choices: its network, a host folder as the inbox, the sidecar's
    address, with the key that signs links to it from a Secret block the pool names."""
    from prefect.blocks.system import Secret
    from pydantic import SecretStr

    Secret(value=SecretStr("pool-link-key")).save("mumu-link-key", overwrite=True)
    template = json.dumps(rendered("docker-gpu-job-template.json", MUMU_PUBLIC_URL="http://h"))
    assert "pool-link-key" not in template
    request = container_request(
        "docker-gpu-job-template.json",
        MUMU_DOCKER_NETWORK="mumu",
        MUMU_INBOX_VOLUME="/srv/recordings",
        MUMU_PUBLIC_URL="http://mumu-host:9108",
    )
    assert request["network_mode"] == "mumu"
    assert request["volumes"] == ["mumu-models:/models", "/srv/recordings:/data/inbox"]
    assert request["environment"]["MUMU_PUBLIC_URL"] == "http://mumu-host:9108"
    assert request["environment"]["MUMU_LINK_KEY"] == "pool-link-key"


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_api")
def test_notices_reach_flow_runs_from_secret_blocks_the_pool_names() -> None:
    from prefect.blocks.system import Secret
    from pydantic import SecretStr

    url = "https://chat.example/hooks/T0/B0/tok3n"
    Secret(value=SecretStr(url)).save("mumu-notify-url", overwrite=True)
    Secret(value=SecretStr("pool-notice-secret")).save("mumu-notify-secret", overwrite=True)
    environ = {"MUMU_NOTIFY_URL": url}
    template = json.dumps(rendered("docker-cpu-job-template.json", **environ))
    assert "tok3n" not in template and "pool-notice-secret" not in template
    request = container_request("docker-cpu-job-template.json", **environ)
    assert request["environment"]["MUMU_NOTIFY_URL"] == url
    assert request["environment"]["MUMU_NOTIFY_SECRET"] == "pool-notice-secret"
    assert "MUMU_NOTIFY_URL" not in container_request("docker-cpu-job-template.json")["environment"]


def test_every_deployment_points_at_a_flow_and_every_variable_has_a_default() -> None:
    text = (REPO / "deployments.yaml").read_text()
    config = yaml.safe_load(text)
    for deployment in config["deployments"]:
        module, function = deployment["entrypoint"].split(":")
        assert isinstance(getattr(importlib.import_module(module), function), Flow)
        assert "job_variables" not in deployment["work_pool"], "images come from the pools"
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
    for worker in ("worker-gpu", "worker-cpu"):
        assert "--type docker" in services[worker]["command"]
        assert "/var/run/docker.sock:/var/run/docker.sock" in services[worker]["volumes"]
        assert services[worker]["group_add"][0].startswith("${DOCKER_GID:?")
    assert services["setup"]["environment"]["MUMU_DOCKER_NETWORK"] == "${MUMU_DOCKER_NETWORK:-mumu}"
    assert services["prefect-server"]["image"] == services["setup"]["image"], "one Prefect"
    prefect_db = services["prefect-server"]["environment"]["PREFECT_API_DATABASE_CONNECTION_URL"]
    assert prefect_db.startswith("postgresql+asyncpg://")
    assert "pg_trgm" in (INFRA / "postgres" / "init.sql").read_text()


def test_the_compose_stack_lets_nobody_in_without_a_credential() -> None:
    """Nothing published beyond this machine unless asked (MUMU_BIND, MUMU_DB_BIND);
    Prefect's server wants its auth string and every client sends it; the sidecar reads
    as the role that cannot write; links are signed."""
    compose = yaml.safe_load((INFRA / "compose.yaml").read_text())
    services = compose["services"]
    for name, service in services.items():
        for port in service.get("ports", []):
            bind = port.rsplit(":", 2)[0]
            assert bind.startswith(
                ("127.0.0.1", "${MUMU_BIND:-127.0.0.1}", "${MUMU_DB_BIND:-127.0.0.1}")
            ), name
    server = services["prefect-server"]["environment"]
    assert server["PREFECT_SERVER_API_AUTH_STRING"].startswith("${PREFECT_AUTH_STRING:?")
    shared = compose["x-mumu-env"]
    assert shared["PREFECT_API_AUTH_STRING"].startswith("${PREFECT_AUTH_STRING:?")
    assert shared["MUMU_LINK_KEY"].startswith("${MUMU_LINK_KEY:?")
    for name in ("setup", "worker-gpu", "worker-cpu", "sidecar"):
        assert (
            services[name]["environment"]["PREFECT_API_AUTH_STRING"]
            == shared["PREFECT_API_AUTH_STRING"]
        )
    reader = services["sidecar"]["environment"]["MUMU_DATABASE_URL"]
    assert reader.startswith("postgresql+psycopg://mumu_reader:${MUMU_READER_PASSWORD:?")
    setup = (INFRA / "setup.sh").read_text()
    assert 'mumu db reader "${MUMU_READER_ROLE:-mumu_reader}"' in setup
    assert "MUMU_READER_PASSWORD" in services["setup"]["environment"]


def scrape_targets(config: str) -> list[str]:
    prometheus = yaml.safe_load((INFRA / "prometheus" / config).read_text())
    return [
        t
        for job in prometheus["scrape_configs"]
        for c in job["static_configs"]
        for t in c["targets"]
    ]


def test_each_path_scrapes_the_sidecar_by_a_name_it_resolves() -> None:
    """Compose: the service's name on the compose network, the port its command listens
    on. One host (infra/README.md's docker runs, host networking): this machine, the
    sidecar's default port, and the README mounts that file."""
    compose = yaml.safe_load((INFRA / "compose.yaml").read_text())
    command = compose["services"]["sidecar"]["command"]
    compose_port = command[command.index("--port") + 1]
    assert scrape_targets("prometheus.yml") == [f"sidecar:{compose_port}"]
    assert "prometheus/prometheus.yml:" in " ".join(compose["services"]["prometheus"]["volumes"])
    default_port = inspect.signature(sidecar).parameters["port"].default
    assert scrape_targets("prometheus-host.yml") == [f"127.0.0.1:{default_port}"]
    one_host = (INFRA / "README.md").read_text()
    assert "infra/prometheus/prometheus-host.yml:/etc/prometheus/prometheus.yml" in one_host


def test_grafana_charts_the_sidecars_metrics() -> None:
    dashboard = json.loads((INFRA / "grafana" / "dashboards" / "mumu.json").read_text())
    expressions = " ".join(t["expr"] for p in dashboard["panels"] for t in p["targets"])
    for name in SIDECAR_METRICS:
        assert name.removesuffix("_total") in expressions, name
    titles = " ".join(p["title"].lower() for p in dashboard["panels"])
    for topic in ("throughput", "stage duration", "failures by stage", "audio", "llm tokens"):
        assert topic in titles


@pytest.mark.parametrize("dockerfile", ["Dockerfile.gpu", "Dockerfile.cpu"])
def test_dockerfiles_build_from_any_base_and_index_with_the_tested_versions(
    dockerfile: str,
) -> None:
    """What the real builds in test_docker.py cannot show: the defaults they override."""
    text = re.sub(r"\\\n\s*", " ", (INFRA / dockerfile).read_text())
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    args = dict(line.split()[1].split("=", 1) for line in lines if line.startswith("ARG "))
    assert set(args) == {"BASE_IMAGE", "PIP_INDEX_URL"}
    assert args["PIP_INDEX_URL"] == "https://pypi.org/simple"
    if dockerfile == "Dockerfile.gpu":
        assert re.fullmatch(
            r"nvidia/cuda:12\.[\d.]+-cudnn-runtime-ubuntu[\d.]+", args["BASE_IMAGE"]
        )
    assert "RUN pip install -r /tmp/constraints.txt" in lines
    assert "USER mumu" in lines
    pinned = (INFRA / "constraints.txt").read_text()
    assert "\nprefect==" in pinned and "\nfaster-whisper==" in pinned
    declared = yaml.safe_load((REPO / "deployments.yaml").read_text())["prefect-version"]
    assert f"\nprefect=={declared}\n" in pinned
