"""The alerting rules in deploy/prometheus, checked and unit-tested by promtool (Debian's
prometheus package, installed by deploy/local/system-packages.sh)."""

from __future__ import annotations

import shutil
import subprocess

from tests.deploy.manifests import ALERT_RULES, ALERT_TESTS, alert_names, yaml_documents


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("promtool")
    assert binary, "promtool is missing: deploy/local/system-packages.sh installs it"
    return subprocess.run(
        [binary, *args], capture_output=True, text=True, timeout=60, cwd=ALERT_RULES.parent
    )


def test_rules_pass_promtool_check() -> None:
    result = promtool("check", "rules", ALERT_RULES.name)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_fires_in_a_promtool_unit_test() -> None:
    (tests,) = yaml_documents(ALERT_TESTS.read_text())
    fired = {
        case["alertname"]
        for test in tests["tests"]
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    assert alert_names() == fired, f"never fired in a test: {sorted(alert_names() - fired)}"


def test_promtool_unit_tests_pass() -> None:
    result = promtool("test", "rules", ALERT_TESTS.name)
    assert result.returncode == 0, result.stdout + result.stderr
