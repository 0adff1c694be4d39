"""docker-compose.yml, checked without a Docker engine: validated against the Compose
Specification's JSON schema (tests/deploy/schemas, see its README for source and licence),
then held against the repo, the settings the services read, the start-up order the
platform needs, and the monitoring it ships (Prometheus with the alerts, Grafana with the
dashboards)."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlparse

import jsonschema
import pytest

from shared.settings import REPO_ROOT, Settings
from shared.topics import DEFAULT_PARTITIONS
from tests.deploy.manifests import (
    ALERT_RULES,
    COMPOSE_FILE,
    DASHBOARDS,
    HTTP_PORTS,
    REQUIRED_SETTINGS,
    SERVICES,
    known_setting_names,
    yaml_documents,
)

# The first test may build helm (deploy/helm/check.sh): minutes on a cold Go cache.
pytestmark = pytest.mark.timeout(1200)

ONE_SHOT = ("migrate", "bootstrap")
INFRASTRUCTURE = ("postgres", "kafka", "minio")
MONITORING = ("prometheus", "grafana")
COMPOSE_SCHEMA = REPO_ROOT / "tests" / "deploy" / "schemas" / "compose-spec.json"
DEFAULTED = re.compile(r"\$\{(\w+):-([^}]*)\}")


def resolve(value: str) -> str:
    """A compose value with every `${NAME:-default}` replaced by its default."""
    return DEFAULTED.sub(lambda match: match.group(2), value)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    (document,) = yaml_documents(COMPOSE_FILE.read_text())
    return document


@pytest.fixture(scope="module")
def containers(compose: dict[str, Any]) -> dict[str, Any]:
    return compose["services"]


def environment(container: dict[str, Any]) -> dict[str, str]:
    return {name: resolve(str(value)) for name, value in container["environment"].items()}


def prerequisites(containers: dict[str, Any], name: str) -> dict[str, str]:
    """Every container `name` waits for, directly or through others, with the condition."""
    found: dict[str, str] = {}
    pending = [name]
    while pending:
        for dependency, rule in containers[pending.pop()].get("depends_on", {}).items():
            if dependency not in found:
                found[dependency] = rule["condition"]
                pending.append(dependency)
    return found


def test_stack_holds_the_infrastructure_the_steps_the_services_and_the_demo_site(
    containers: dict[str, Any],
) -> None:
    assert set(containers) == {*INFRASTRUCTURE, *ONE_SHOT, *SERVICES, "demo-site", *MONITORING}


def test_compose_file_is_valid_against_the_compose_specification(compose: dict[str, Any]) -> None:
    schema = json.loads(COMPOSE_SCHEMA.read_text())
    validator = jsonschema.Draft202012Validator(schema)
    errors = [
        f"{list(error.absolute_path)}: {error.message}" for error in validator.iter_errors(compose)
    ]
    assert not errors, errors


def test_schema_check_refuses_a_misspelt_key(compose: dict[str, Any]) -> None:
    broken = {
        **compose,
        "services": {
            **compose["services"],
            "gateway": {**compose["services"]["gateway"], "helthcheck": {}},
        },
    }
    validator = jsonschema.Draft202012Validator(json.loads(COMPOSE_SCHEMA.read_text()))
    assert not validator.is_valid(broken)


def test_every_build_context_and_dockerfile_exists(containers: dict[str, Any]) -> None:
    built = {name: spec["build"] for name, spec in containers.items() if "build" in spec}
    assert set(built) == {*ONE_SHOT, *SERVICES, "demo-site"}
    for name, build in built.items():
        context = REPO_ROOT / build["context"]
        assert context.resolve() == REPO_ROOT, f"{name} builds from {context}, not the repo root"
    dockerfiles = {build["dockerfile"] for build in built.values()}
    missing = sorted(path for path in dockerfiles if not (REPO_ROOT / path).is_file())
    assert not missing, f"no such Dockerfile: {missing}"
    for service in SERVICES:
        assert built[service]["dockerfile"] == f"services/{service}/Dockerfile"


def test_no_image_is_untagged_or_latest(containers: dict[str, Any]) -> None:
    for name, spec in containers.items():
        image = resolve(spec["image"])
        repository, _, tag = image.rpartition(":")
        assert repository and "/" not in tag, f"{name}: {image} has no tag"
        assert tag != "latest", f"{name}: {image}"


def test_services_and_steps_get_every_setting_they_need(containers: dict[str, Any]) -> None:
    known = known_setting_names()
    for name in (*SERVICES, *ONE_SHOT):
        env = environment(containers[name])
        needed = REQUIRED_SETTINGS - {"REOS_HTTP_PORT"} if name in ONE_SHOT else REQUIRED_SETTINGS
        assert needed <= set(env), f"{name} lacks {sorted(needed - set(env))}"
        assert set(env) <= known, f"{name} sets unknown {sorted(set(env) - known)}"
        assert env["REOS_HTTP_HOST"] == "0.0.0.0", f"{name} would listen on its loopback only"
        Settings.model_validate(env)


def test_endpoints_name_containers_of_the_stack(containers: dict[str, Any]) -> None:
    for name in (*SERVICES, *ONE_SHOT):
        env = environment(containers[name])
        settings = Settings.model_validate(env)
        database = urlparse(settings.database_url)
        assert (database.hostname, database.port) == ("postgres", 5432)
        assert settings.kafka_bootstrap_servers == "kafka:9092"
        assert settings.s3_endpoint_url == "http://minio:9000"
        assert urlparse(env["REOS_DEMO_SITE_URL"]).netloc == "demo-site:9180"
    postgres = containers["postgres"]["environment"]
    assert database.username == postgres["POSTGRES_USER"]
    assert database.password == resolve(postgres["POSTGRES_PASSWORD"])
    assert database.path == "/" + postgres["POSTGRES_DB"]
    minio = {key: resolve(value) for key, value in containers["minio"]["environment"].items()}
    assert (settings.s3_access_key_id, settings.s3_secret_access_key) == (
        minio["MINIO_ROOT_USER"],
        minio["MINIO_ROOT_PASSWORD"],
    )


def test_migrate_runs_before_bootstrap_which_runs_before_every_service(
    containers: dict[str, Any],
) -> None:
    completed = "service_completed_successfully"
    assert containers["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert prerequisites(containers, "bootstrap") == {
        "migrate": completed,
        "postgres": "service_healthy",
        "kafka": "service_healthy",
        "minio": "service_healthy",
    }
    for service in SERVICES:
        waits_for = prerequisites(containers, service)
        assert waits_for["migrate"] == completed and waits_for["bootstrap"] == completed
        assert service not in waits_for
    assert containers["migrate"]["command"] == ["alembic", "upgrade", "head"]
    assert containers["bootstrap"]["command"] == ["python", "-m", "shared.bootstrap"]
    for step in ONE_SHOT:
        assert containers[step]["restart"] == "no"


def test_every_long_running_container_has_a_healthcheck_on_its_own_port(
    containers: dict[str, Any],
) -> None:
    for name, spec in containers.items():
        if name in ONE_SHOT:
            assert "healthcheck" not in spec
            continue
        assert spec["healthcheck"]["test"], f"{name} has no healthcheck"
    ports = {**HTTP_PORTS, "demo-site": 9180}
    for name, port in ports.items():
        probe = " ".join(containers[name]["healthcheck"]["test"])
        assert f"http://127.0.0.1:{port}/healthz" in probe, f"{name}: {probe}"
        assert f"{port}:{port}" in containers[name]["ports"]
        if name != "demo-site":
            assert environment(containers[name])["REOS_HTTP_PORT"] == str(port)


def test_reference_data_is_mounted_read_only_where_settings_look(
    containers: dict[str, Any],
) -> None:
    default_source = (REPO_ROOT / "../shared/data").resolve()
    assert default_source == Settings.model_fields["data_dir"].default.resolve()
    for name in (*SERVICES, "demo-site"):
        mounts = [resolve(volume).split(":") for volume in containers[name]["volumes"]]
        target = environment(containers[name])["REOS_DATA_DIR"]
        assert ["../shared/data", target, "ro"] in mounts, f"{name}: {mounts}"
    assert "--port" in containers["demo-site"]["command"]


def test_kafka_is_one_kraft_node_that_never_creates_topics_on_its_own(
    containers: dict[str, Any],
) -> None:
    kafka = containers["kafka"]
    assert kafka["image"].startswith("apache/kafka:4.")
    env = {name: str(value) for name, value in kafka["environment"].items()}
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == f"{env['KAFKA_NODE_ID']}@kafka:9093"
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert env["KAFKA_NUM_PARTITIONS"] == str(DEFAULT_PARTITIONS)
    assert env["KAFKA_ADVERTISED_LISTENERS"] == "PLAINTEXT://kafka:9092"
    assert containers["postgres"]["image"].startswith("postgres:16.")


def mounts(container: dict[str, Any]) -> dict[str, str]:
    """A container's bind mounts: target inside the container -> source on the host."""
    found = {}
    for volume in container.get("volumes", []):
        source, target, *_ = resolve(volume).split(":")
        found[target] = source
    return found


def test_prometheus_scrapes_every_service_and_evaluates_the_alerts(
    containers: dict[str, Any],
) -> None:
    prometheus = containers["prometheus"]
    config_dir = mounts(prometheus)["/etc/prometheus"]
    assert (REPO_ROOT / config_dir).resolve() == ALERT_RULES.parent
    (config,) = yaml_documents((ALERT_RULES.parent / "prometheus.yml").read_text())
    assert config["rule_files"] == [ALERT_RULES.name]
    targets = {
        job["job_name"]: target
        for job in config["scrape_configs"]
        for group in job["static_configs"]
        for target in group["targets"]
    }
    assert targets == {f"reos-{name}": f"{name}:{port}" for name, port in HTTP_PORTS.items()}
    assert "--config.file=/etc/prometheus/prometheus.yml" in prometheus["command"]


def test_grafana_is_provisioned_with_the_dashboards_on_the_compose_prometheus(
    containers: dict[str, Any],
) -> None:
    grafana = mounts(containers["grafana"])
    provisioning = (REPO_ROOT / grafana["/etc/grafana/provisioning"]).resolve()
    assert (REPO_ROOT / grafana["/var/lib/grafana/dashboards"]).resolve() == DASHBOARDS
    (providers,) = yaml_documents((provisioning / "dashboards" / "reos.yml").read_text())
    assert [p["options"]["path"] for p in providers["providers"]] == ["/var/lib/grafana/dashboards"]
    (sources,) = yaml_documents((provisioning / "datasources" / "prometheus.yml").read_text())
    (prometheus,) = sources["datasources"]
    assert prometheus["url"] == "http://prometheus:9090"
    assert "9090:9090" in containers["prometheus"]["ports"]
    assert containers["grafana"]["depends_on"] == {"prometheus": {"condition": "service_healthy"}}
