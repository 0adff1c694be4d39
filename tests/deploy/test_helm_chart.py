"""The Helm chart, linted and rendered by a real helm (built by deploy/helm/check.sh) and
checked object by object: what a cluster would be asked to run."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import pytest

from shared.settings import Settings
from tests.deploy.manifests import (
    CHART,
    HTTP_PORTS,
    REQUIRED_SETTINGS,
    SERVICES,
    known_setting_names,
    of_kind,
    render_chart,
    run_helm,
)

# The first test may build helm (deploy/helm/check.sh): minutes on a cold Go cache.
pytestmark = pytest.mark.timeout(1200)

PREFIX = "reos-real-estate-os"
EVERYTHING_ON = [
    *(f"--set={service}.autoscaling.enabled=true" for service in SERVICES),
    *(f"--set={service}.pdb.create=true" for service in SERVICES),
    "--set=metrics.serviceMonitor.enabled=true",
    "--set=demoSite.enabled=true",
]


@pytest.fixture(scope="module")
def default_objects() -> list[dict[str, Any]]:
    return render_chart()


@pytest.fixture(scope="module")
def everything_on() -> list[dict[str, Any]]:
    return render_chart(*EVERYTHING_ON)


def pod(workload: dict[str, Any]) -> dict[str, Any]:
    return workload["spec"]["template"]["spec"]


def container(workload: dict[str, Any]) -> dict[str, Any]:
    (only,) = pod(workload)["containers"]
    return only


def workloads(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [*of_kind(objects, "Deployment").values(), *of_kind(objects, "Job").values()]


def env_names(spec: dict[str, Any]) -> set[str]:
    return {variable["name"] for variable in spec.get("env", [])}


def hook(item: dict[str, Any]) -> tuple[str, int]:
    annotations = item["metadata"]["annotations"]
    return annotations["helm.sh/hook"], int(annotations["helm.sh/hook-weight"])


def test_chart_passes_strict_lint_with_default_values_and_everything_on() -> None:
    for values in ([], EVERYTHING_ON):
        result = run_helm("lint", "--strict", CHART, *values)
        assert result.returncode == 0, result.stdout + result.stderr


def test_a_deployment_per_service_with_probes_on_its_port(
    default_objects: list[dict[str, Any]],
) -> None:
    deployments = of_kind(default_objects, "Deployment")
    assert set(deployments) == {f"{PREFIX}-{service}" for service in SERVICES}
    for service in SERVICES:
        spec = container(deployments[f"{PREFIX}-{service}"])
        (port,) = spec["ports"]
        assert (port["name"], port["containerPort"]) == ("http", HTTP_PORTS[service])
        env = {variable["name"]: variable.get("value") for variable in spec["env"]}
        assert env["REOS_HTTP_PORT"] == str(HTTP_PORTS[service])
        for probe, path in (
            ("startupProbe", "/healthz"),
            ("livenessProbe", "/healthz"),
            ("readinessProbe", "/readyz"),
        ):
            assert spec[probe]["httpGet"] == {"path": path, "port": "http"}, service
        assert spec["resources"]["requests"] and spec["resources"]["limits"]["memory"]


def test_every_pod_runs_as_non_root_on_a_read_only_root_without_capabilities(
    everything_on: list[dict[str, Any]],
) -> None:
    every_workload = workloads(everything_on)
    assert len(every_workload) == len(SERVICES) + 1 + 2
    for workload in every_workload:
        assert pod(workload)["securityContext"]["runAsNonRoot"] is True
        assert pod(workload)["securityContext"]["runAsUser"] > 0
        assert pod(workload)["automountServiceAccountToken"] is False
        for spec in pod(workload)["containers"]:
            security = spec["securityContext"]
            assert security["readOnlyRootFilesystem"] is True
            assert security["allowPrivilegeEscalation"] is False
            assert security["capabilities"]["drop"] == ["ALL"]
            mounts = {mount["mountPath"]: mount["name"] for mount in spec["volumeMounts"]}
            assert mounts["/tmp"] == "tmp", "a read-only root needs a writable /tmp"


def test_services_read_every_setting_from_the_configmap_and_the_secret(
    default_objects: list[dict[str, Any]],
) -> None:
    (config,) = of_kind(default_objects, "ConfigMap").values()
    secret = of_kind(default_objects, "Secret")[f"{PREFIX}-credentials"]
    provided = set(config["data"]) | set(secret["stringData"])
    assert provided <= known_setting_names(), sorted(provided - known_setting_names())
    assert config["data"]["REOS_HTTP_HOST"] == "0.0.0.0"
    for deployment in of_kind(default_objects, "Deployment").values():
        spec = container(deployment)
        assert spec["envFrom"] == [
            {"configMapRef": {"name": config["metadata"]["name"]}},
            {"secretRef": {"name": secret["metadata"]["name"]}},
        ]
        missing = REQUIRED_SETTINGS - provided - env_names(spec)
        assert not missing, f"{deployment['metadata']['name']} lacks {sorted(missing)}"
        mounts = {mount["name"]: mount for mount in spec["volumeMounts"]}
        data_dir = Settings.model_validate({**config["data"], **secret["stringData"]}).data_dir
        assert mounts["reference-data"]["mountPath"] == str(data_dir)
        assert mounts["reference-data"]["readOnly"] is True


def test_migration_job_is_a_pre_install_and_pre_upgrade_hook_with_its_own_credentials(
    default_objects: list[dict[str, Any]],
) -> None:
    job = of_kind(default_objects, "Job")[f"{PREFIX}-migrate"]
    assert hook(job) == ("pre-install,pre-upgrade", 0)
    spec = container(job)
    assert spec["image"].endswith("/gateway:0.1.0")
    assert spec["command"] == ["alembic", "upgrade", "head"]
    (database_url,) = [item for item in spec["env"] if item["name"] == "DATABASE_URL"]
    source = database_url["valueFrom"]["secretKeyRef"]
    hook_secret = of_kind(default_objects, "Secret")[source["name"]]
    # The release's Secret does not exist yet before an install: the hook copy comes first.
    assert hook(hook_secret)[0] == "pre-install,pre-upgrade"
    assert hook(hook_secret)[1] < hook(job)[1]
    assert source["key"] in hook_secret["stringData"]
    assert pod(job)["restartPolicy"] == "Never"


def test_bootstrap_job_creates_topics_and_bucket_after_install_and_upgrade(
    default_objects: list[dict[str, Any]],
) -> None:
    job = of_kind(default_objects, "Job")[f"{PREFIX}-bootstrap"]
    assert hook(job)[0] == "post-install,post-upgrade"
    spec = container(job)
    assert spec["command"][:3] == ["python", "-m", "shared.bootstrap"]
    gateway = of_kind(default_objects, "Deployment")[f"{PREFIX}-gateway"]
    assert spec["envFrom"] == container(gateway)["envFrom"]


def test_an_existing_secret_replaces_the_chart_made_one_everywhere() -> None:
    objects = render_chart("--set=credentials.existingSecret=platform-credentials")
    assert of_kind(objects, "Secret") == {}
    migrate = container(of_kind(objects, "Job")[f"{PREFIX}-migrate"])
    assert migrate["env"][0]["valueFrom"]["secretKeyRef"]["name"] == "platform-credentials"
    for deployment in of_kind(objects, "Deployment").values():
        assert {"secretRef": {"name": "platform-credentials"}} in container(deployment)["envFrom"]


def test_no_image_is_latest_and_latest_is_refused(everything_on: list[dict[str, Any]]) -> None:
    for workload in workloads(everything_on):
        image = container(workload)["image"]
        repository, _, tag = image.rpartition(":")
        assert repository.startswith("real-estate-os/") and tag == "0.1.0", image
    refused = run_helm("template", "reos", CHART, "--set=image.tag=latest")
    assert refused.returncode != 0 and "/image/tag" in refused.stderr


def test_schema_refuses_a_mistyped_value() -> None:
    result = run_helm("template", "reos", CHART, "--set-string=gateway.replicaCount=two")
    assert result.returncode != 0
    assert "/gateway/replicaCount" in result.stderr and "want integer" in result.stderr


def test_services_select_their_own_pods(everything_on: list[dict[str, Any]]) -> None:
    deployments = of_kind(everything_on, "Deployment")
    for name, service in of_kind(everything_on, "Service").items():
        labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert service["spec"]["selector"].items() <= labels.items()
        assert deployments[name]["spec"]["selector"]["matchLabels"] == service["spec"]["selector"]
        assert service["spec"]["ports"][0]["targetPort"] == "http"


def test_autoscalers_budgets_and_monitors_cover_the_five_services(
    everything_on: list[dict[str, Any]],
) -> None:
    deployments = of_kind(everything_on, "Deployment")
    names = {f"{PREFIX}-{service}" for service in SERVICES}
    autoscalers = of_kind(everything_on, "HorizontalPodAutoscaler")
    assert set(autoscalers) == names
    for name, autoscaler in autoscalers.items():
        assert autoscaler["spec"]["scaleTargetRef"]["name"] == name
        assert "replicas" not in deployments[name]["spec"], "the autoscaler owns the count"
    budgets = of_kind(everything_on, "PodDisruptionBudget")
    assert set(budgets) == names
    for name, budget in budgets.items():
        labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert budget["spec"]["selector"]["matchLabels"].items() <= labels.items()
    monitors = of_kind(everything_on, "ServiceMonitor")
    assert set(monitors) == names, "the demo site has no /metrics"
    services = of_kind(everything_on, "Service")
    for name, monitor in monitors.items():
        assert monitor["spec"]["selector"]["matchLabels"].items() <= (
            services[name]["metadata"]["labels"].items()
        )
        assert monitor["spec"]["endpoints"] == [
            {"port": "http", "path": "/metrics", "interval": "30s", "scrapeTimeout": "10s"}
        ]


def test_optional_parts_stay_off_by_default(default_objects: list[dict[str, Any]]) -> None:
    kinds = {item["kind"] for item in default_objects}
    assert kinds == {"ConfigMap", "Secret", "Service", "Deployment", "Job", "CronJob"}


def test_demo_site_gets_no_credentials_and_the_scraper_finds_it(
    everything_on: list[dict[str, Any]],
) -> None:
    demo = of_kind(everything_on, "Deployment")[f"{PREFIX}-demo-site"]
    spec = container(demo)
    assert "envFrom" not in spec
    assert spec["image"].endswith("/scraper:0.1.0")
    assert spec["command"][0] == "reos-demo-site"
    (config,) = of_kind(everything_on, "ConfigMap").values()
    url = urlparse(config["data"]["REOS_DEMO_SITE_URL"])
    service = of_kind(everything_on, "Service")[f"{PREFIX}-demo-site"]
    assert url.netloc == f"{service['metadata']['name']}:{service['spec']['ports'][0]['port']}"


def test_reference_data_comes_from_the_configured_claim() -> None:
    objects = render_chart(
        "--set=referenceData.source=existingClaim", "--set=referenceData.existingClaim=reos-data"
    )
    for deployment in of_kind(objects, "Deployment").values():
        volumes = {volume["name"]: volume for volume in pod(deployment)["volumes"]}
        assert volumes["reference-data"]["persistentVolumeClaim"] == {
            "claimName": "reos-data",
            "readOnly": True,
        }
    missing = run_helm("template", "reos", CHART, "--set=referenceData.source=existingClaim")
    assert missing.returncode != 0 and "referenceData.existingClaim is required" in missing.stderr
