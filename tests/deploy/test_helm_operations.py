"""The chart's operations side: alerts as a PrometheusRule, dashboards as ConfigMaps,
pipelines and retention as CronJobs, network policies; and every `ci/` values file's
rendering validated against the Kubernetes API schemas, offline (the schemas ship in the
`kubernetes-validate` package)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from tests.deploy.manifests import (
    ALERT_RULES,
    CHART,
    DASHBOARDS,
    SERVICES,
    of_kind,
    render_chart,
    yaml_documents,
)

pytestmark = pytest.mark.timeout(1200)

PREFIX = "reos-real-estate-os"
KUBERNETES_VERSION = "1.33"
CI_VALUES = sorted((CHART / "ci").glob("*-values.yaml"))
# Custom resources of the Prometheus Operator: no schema in the Kubernetes API's.
OPERATOR_KINDS = {
    "ServiceMonitor": "monitoring.coreos.com/v1",
    "PrometheusRule": "monitoring.coreos.com/v1",
}


@pytest.fixture(scope="module")
def everything_on() -> list[dict[str, Any]]:
    return render_chart("-f", str(CHART / "ci" / "everything-on-values.yaml"))


@pytest.mark.parametrize("values", CI_VALUES, ids=lambda path: path.name)
def test_every_ci_rendering_is_valid_against_the_kubernetes_api_schemas(values: Path) -> None:
    objects = render_chart("-f", str(values))
    assert objects
    for item in objects:
        if item["kind"] in OPERATOR_KINDS:
            assert item["apiVersion"] == OPERATOR_KINDS[item["kind"]]
            continue
        kubernetes_validate.validate(item, KUBERNETES_VERSION, strict=True)


def test_validation_refuses_a_misspelt_field(everything_on: list[dict[str, Any]]) -> None:
    cronjob = next(iter(of_kind(everything_on, "CronJob").values()))
    broken = {**cronjob, "spec": {**cronjob["spec"], "schedul": "* * * * *"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_monitoring_schedules_and_policies_stay_off_by_default() -> None:
    objects = render_chart()
    assert not {"PrometheusRule", "NetworkPolicy"} & {item["kind"] for item in objects}
    assert set(of_kind(objects, "CronJob")) == {f"{PREFIX}-retention"}
    assert set(of_kind(objects, "ConfigMap")) == {f"{PREFIX}-config"}


def test_the_prometheus_rule_holds_the_tested_alerts(everything_on: list[dict[str, Any]]) -> None:
    (rule,) = of_kind(everything_on, "PrometheusRule").values()
    (alerts,) = yaml_documents(ALERT_RULES.read_text())
    assert rule["spec"] == alerts


def test_each_dashboard_ships_as_a_configmap_for_the_grafana_sidecar(
    everything_on: list[dict[str, Any]],
) -> None:
    shipped = {
        name: body
        for config in of_kind(everything_on, "ConfigMap").values()
        if config["metadata"]["labels"].get("grafana_dashboard") == "1"
        for name, body in config["data"].items()
    }
    expected = {path.name: json.loads(path.read_text()) for path in DASHBOARDS.glob("*.json")}
    assert {name: json.loads(body) for name, body in shipped.items()} == expected


def test_each_schedule_triggers_its_pipeline_through_the_gateway(
    everything_on: list[dict[str, Any]],
) -> None:
    cronjobs = of_kind(everything_on, "CronJob")
    gateway = of_kind(everything_on, "Service")[f"{PREFIX}-gateway"]
    for pipeline, cron in (
        ("scrape_listings", "0 */6 * * *"),
        ("discovery_offmarket", "30 2 * * *"),
    ):
        job = cronjobs[f"{PREFIX}-pipeline-{pipeline.replace('_', '-')}"]
        assert job["spec"]["schedule"] == cron
        assert job["spec"]["concurrencyPolicy"] == "Forbid"
        (container,) = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
        env = {item["name"]: item for item in container["env"]}
        assert env["PIPELINE"]["value"] == pipeline
        assert env["GATEWAY_URL"]["value"] == f"http://{gateway['metadata']['name']}:8000"
        assert json.loads(env["PIPELINE_CONF"]["value"])["source"]
        assert env["REOS_API_KEY"]["valueFrom"]["secretKeyRef"]["name"] == "reos-pipeline-key"
        assert "/api/pipelines/dags/" in container["command"][-1]


def test_retention_prunes_processed_events_daily(everything_on: list[dict[str, Any]]) -> None:
    job = of_kind(everything_on, "CronJob")[f"{PREFIX}-retention"]
    assert job["spec"]["schedule"] == "15 3 * * *"
    (container,) = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["python", "-m", "shared.retention", "--days=8"]
    assert {"secretRef": {"name": "reos-credentials"}} in container["envFrom"]


def test_only_the_gateway_takes_traffic_from_the_ingress(
    everything_on: list[dict[str, Any]],
) -> None:
    policies = of_kind(everything_on, "NetworkPolicy")
    assert set(policies) == {f"{PREFIX}-{name}" for name in (*SERVICES, "demo-site")}
    ingress_namespace = {"kubernetes.io/metadata.name": "ingress-nginx"}
    for name, policy in policies.items():
        assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"]
        peers = [peer for rule in policy["spec"]["ingress"] for peer in rule["from"]]
        from_ingress = any(
            peer.get("namespaceSelector", {}).get("matchLabels") == ingress_namespace
            for peer in peers
        )
        assert from_ingress == name.endswith("-gateway"), name
        egress_ports = {
            port["port"] for rule in policy["spec"]["egress"] for port in rule.get("ports", [])
        }
        if not name.endswith("-demo-site"):
            assert {53, 9092, 5432, 9000} <= egress_ports, name
    demo = policies[f"{PREFIX}-demo-site"]["spec"]["ingress"]
    assert (
        demo[0]["from"][0]["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "scraper"
    )
