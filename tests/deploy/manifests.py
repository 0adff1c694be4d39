"""Render the Helm chart and read YAML (docker-compose.yml, rendered manifests) in tests.

helm itself is built into .stack/bin by deploy/helm/check.sh on first use (needs Go and
the Go module proxy).
"""

from __future__ import annotations

import functools
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import yaml

from services.scraper.config import DemoSiteConfig, ScraperConfig
from shared.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
CHART = REPO_ROOT / "deploy" / "helm" / "real-estate-os"
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
ALERT_RULES = REPO_ROOT / "deploy" / "prometheus" / "alerts.yml"
ALERT_TESTS = REPO_ROOT / "deploy" / "prometheus" / "alerts.test.yml"
DASHBOARDS = REPO_ROOT / "deploy" / "grafana" / "dashboards"

SERVICES = ("scraper", "enricher", "scorer", "docgen", "gateway")
HTTP_PORTS = {"scraper": 9101, "enricher": 9102, "scorer": 9103, "docgen": 9104, "gateway": 8000}

# What a service cannot run without in a container: its endpoints and credentials, the
# reference data folder, and an HTTP listener on the container's address.
REQUIRED_SETTINGS = frozenset(
    {
        "DATABASE_URL",
        "KAFKA_BOOTSTRAP_SERVERS",
        "S3_ENDPOINT_URL",
        "S3_BUCKET",
        "S3_REGION",
        "S3_ACCESS_KEY_ID",
        "S3_SECRET_ACCESS_KEY",
        "REOS_DATA_DIR",
        "REOS_HTTP_HOST",
        "REOS_HTTP_PORT",
    }
)


def known_setting_names() -> set[str]:
    """Every environment variable the platform's settings objects read."""
    names: set[str] = set()
    for model in (Settings, ScraperConfig, DemoSiteConfig):
        names.update(field.alias for field in model.model_fields.values() if field.alias)
    return names


@functools.cache
def helm() -> Path:
    """The helm binary in .stack/bin, built by deploy/helm/check.sh when absent."""
    result = subprocess.run(
        [str(REPO_ROOT / "deploy" / "helm" / "check.sh"), "--install"],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert result.returncode == 0, f"cannot build helm:\n{result.stderr}"
    return Path(result.stdout.strip().splitlines()[-1])


def run_helm(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(helm()), *map(str, args)], capture_output=True, text=True, timeout=120
    )


def yaml_documents(text: str) -> list[Any]:
    """The documents of a YAML stream as Python objects (empty documents left out)."""
    return [document for document in yaml.safe_load_all(text) if document]


def render_chart(*values: str) -> list[dict[str, Any]]:
    """`helm template` of the chart with `--set`-style arguments, as Kubernetes objects."""
    result = run_helm("template", "reos", CHART, *values)
    assert result.returncode == 0, result.stderr
    return yaml_documents(result.stdout)


def of_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    """The objects of one kind, by name."""
    return {item["metadata"]["name"]: item for item in objects if item["kind"] == kind}


def alert_rules() -> list[dict[str, Any]]:
    """Every rule (recording and alerting) of deploy/prometheus/alerts.yml."""
    (document,) = yaml_documents(ALERT_RULES.read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def alert_names() -> set[str]:
    return {rule["alert"] for rule in alert_rules() if "alert" in rule}


METRIC_NAME = re.compile(r"\b(?:reos_[a-z0-9_]+|up)\b(?!\s*[:(])")


def metric_names(expression: str) -> set[str]:
    """The metric names a PromQL expression reads (`reos_...`; recording rules, which
    contain a colon, and functions are not metrics)."""
    return {name for name in METRIC_NAME.findall(expression) if name != "up"}


def rule_metric_names() -> set[str]:
    return {name for rule in alert_rules() for name in metric_names(rule["expr"])}


def dashboard_panels() -> list[dict[str, Any]]:
    return [
        panel
        for path in sorted(DASHBOARDS.glob("*.json"))
        for panel in json.loads(path.read_text())["panels"]
    ]


def dashboard_metric_names() -> set[str]:
    return {
        name
        for panel in dashboard_panels()
        for target in panel.get("targets", [])
        for name in metric_names(target["expr"])
    }
