"""The kinds issue 12 item 4 names that rules read through ``objects``: every example query of
docs/rule-format.md (read from the doc, so the doc cannot drift) run on healthy-v161, and the
alerts source on the collector's JSON and on JSON that is not."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from analyzer.sources import SourceMissing, open_sources
from fixtures.goldens import BUNDLES, PROJECT
from fixtures.scenarios import healthy_v161
from fixtures.synth import write_bundle
from tests.test_sources_more import ask

_EXAMPLES = re.compile(
    r"<!-- objects-examples:begin -->\n```yaml\n(.*?)```\n<!-- objects-examples:end -->", re.S
)
NODES = ["hv-node1", "hv-node2", "hv-node3"]
#: what each documented query gives on healthy-v161
EXPECTED = {
    "fleet_bundles": [{"name": "mcc-harvester", "ready": 1, "desired": 1}],
    "managed_charts": [{"name": "harvester", "version": "1.6.1", "ready": 1}],
    "capi_clusters": [{"name": "local", "phase": "Provisioned"}],
    "capi_machines": [{"node": n, "phase": "Running"} for n in NODES],
    "backup_targets": [{"url": "nfs://10.0.0.5:/backups", "available": True}],
    "vlan_configs": [{"name": "vlan-all", "network": "data", "nics": ["eno2"]}],
    "vlan_statuses": [{"node": n, "ready": "True"} for n in NODES],
    "ip_pools": [{"name": "default-pool", "available": 20, "total": 21}],
    "load_balancers": [{"name": "web-lb", "address": "10.0.0.100"}],
    "vm_images": [{"name": "ubuntu-24.04.qcow2", "progress": 100, "imported": "True"}],
}


def documented() -> dict[str, str]:
    text = (PROJECT / "docs" / "rule-format.md").read_text(encoding="utf-8")
    return yaml.safe_load(_EXAMPLES.search(text)[1])["facts"]


def test_every_documented_objects_query_answers_on_the_fixture():
    facts = documented()
    assert sorted(facts) == sorted(EXPECTED)
    with open_sources(BUNDLES / "healthy-v161") as src:
        for name, query in facts.items():
            assert ask(src, query) == EXPECTED[name], name


def test_the_alerts_source_reads_the_collectors_json():
    with open_sources(BUNDLES / "healthy-v161") as src:
        firing = ask(src, "alerts[?state == 'firing']")
        assert [a["alertname"] for a in firing] == ["Watchdog"]
        alert = firing[0]
        assert alert["severity"] == "none" and alert["summary"].startswith("An alert that")
        assert alert["active_at"].startswith("2025-10-31T16:45:00")
        where = src.cite(alert)
        assert (where.path, where.line) == ("prometheus-alerts.json", 2)


def _with_alerts(tmp_path: Path, text: str) -> Path:
    cluster = healthy_v161()
    cluster.extra_files["prometheus-alerts.json"] = text
    return write_bundle(cluster, tmp_path / "b")


def test_alerts_in_the_prometheus_api_spelling_each_cite_their_line(tmp_path):
    alerts = [
        {
            "labels": {"alertname": name, "severity": "warning"},
            "annotations": {"description": f"{name} is down"},
            "state": state,
            "activeAt": "2025-11-03T16:00:00Z",
            "value": "1",
        }
        for name, state in (("LonghornNodeDown", "firing"), ("KubeNodeNotReady", "pending"))
    ]
    with open_sources(_with_alerts(tmp_path, json.dumps(alerts, indent=2))) as src:
        assert ask(src, "alerts[?state == 'pending'].description") == ["KubeNodeNotReady is down"]
        lines = [src.cite(a).line for a in src.get("alerts")]
        assert lines == [2, 2 + len(json.dumps(alerts[0], indent=2).splitlines())]


@pytest.mark.parametrize(
    "text, why",
    [
        ('{"status": "success"}', "not a JSON array"),
        ("[{]", "Expecting property name"),
        ("[" * 100_000, "maximum recursion depth|Expecting value"),
        ("", "not a JSON array"),
    ],
)
def test_odd_alerts_json_fails_the_source_alone_with_a_note(tmp_path, text, why):
    with open_sources(_with_alerts(tmp_path, text)) as src:
        with pytest.raises(SourceMissing, match=r"prometheus-alerts\.json is not a JSON list"):
            src.get("alerts")
        assert any(re.search(why, n) for n in src.notes), src.notes
        assert src.get("jobs")  # the other sources still read


def test_alerts_that_are_not_objects_are_skipped_with_a_note(tmp_path):
    text = '[1, {"Labels": "x", "State": 5}, {"Labels": {"alertname": "A"}, "State": "firing"}]'
    with open_sources(_with_alerts(tmp_path, text)) as src:
        alerts = src.get("alerts")
        assert [(a["alertname"], a["state"]) for a in alerts] == [(None, None), ("A", "firing")]
        assert src.notes == ["prometheus-alerts.json:1: not an alert object, skipped"]
