"""Issue 12 item 3: the upgrade as a first-class view.

The upgrade_nodes source (per node: phase, since when and from what, the job, pod and log of
that phase), the upgrade-level phase, and the per-node progress in the JSON, Markdown and
terminal reports; odd Upgrade objects are reported, never a traceback.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from analyzer import analyze, render
from analyzer.render import to_dict
from analyzer.sources import open_sources
from fixtures.goldens import BUNDLES, REPORTS
from tests.conftest import PROJECT

FIXTURE = BUNDLES / "upgrade-stuck-predrain"
UPGRADES = "yamls/namespaced/harvester-system/harvesterhci.io/v1beta1/upgrades.yaml"
JOBS = "yamls/namespaced/harvester-system/batch/v1/jobs.yaml"
PODS = "yamls/namespaced/harvester-system/v1/pods.yaml"
SCHEMA = json.loads((PROJECT / "analyzer/render/report.schema.json").read_text("utf-8"))


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "bundle"
    shutil.copytree(FIXTURE, target)
    return target


def _edit(bundle: Path, path: str, change: Any) -> None:
    """Load a List dump, let ``change`` edit its items, write it back."""
    file = bundle / path
    document = yaml.safe_load(file.read_text("utf-8"))
    change(document["items"])
    file.write_text(yaml.safe_dump(document), "utf-8")


def _nodes(bundle: Path) -> dict[str, dict[str, Any]]:
    with open_sources(bundle) as src:
        return {r["node"]: dict(r, cited=src.cite(r)) for r in src.get("upgrade_nodes")}


def test_each_node_has_its_phase_since_and_the_job_pod_and_log_of_that_phase():
    nodes = _nodes(FIXTURE)
    assert sorted(nodes) == ["hv-node1", "hv-node2", "hv-node3"]
    stuck = nodes["hv-node3"]
    assert stuck["state"] == "Pre-draining"
    assert (stuck["since"], stuck["since_from"]) == ("2025-06-10T09:12:07Z", "job start")
    assert stuck["job"] == "hvst-upgrade-x7q2m-pre-drain-hv-node3"
    assert stuck["job_type"] == "pre-drain"
    assert stuck["pod"] == "hvst-upgrade-x7q2m-pre-drain-hv-node3-8szcx"
    assert stuck["log"] == (
        "logs/harvester-system/hvst-upgrade-x7q2m-pre-drain-hv-node3-8szcx/apply.log"
    )
    assert (stuck["upgrade_phase"], stuck["latest"], stuck["finished"]) == ("nodes", True, False)
    # Succeeded is entered when the last job completes: its completion is the time.
    done = nodes["hv-node2"]
    assert (done["state"], done["since_from"], done["job_type"]) == (
        "Succeeded",
        "job completion",
        "post-drain",
    )
    # Cited at the node's own state line in status.nodeStatuses.
    where = stuck["cited"]
    lines = (FIXTURE / UPGRADES).read_text("utf-8").splitlines()
    assert where.path == UPGRADES and lines[where.line - 1].strip() == "state: Pre-draining"
    assert lines[where.line - 2].strip() == "hv-node3:"


def test_without_the_state_label_the_phase_is_the_first_condition_not_true(tmp_path):
    bundle = _copy(tmp_path)

    def unlabel(items: list) -> None:
        del items[0]["metadata"]["labels"]["harvesterhci.io/upgradeState"]
        for cond in items[0]["status"]["conditions"]:
            if cond["type"] == "SystemServicesUpgraded":
                cond["status"] = "Unknown"

    _edit(bundle, UPGRADES, unlabel)
    with open_sources(bundle) as src:
        (upgrade,) = src.get("upgrades")
    assert (upgrade["state"], upgrade["phase"]) == (None, "system services")


def test_a_job_removed_after_its_ttl_is_found_by_its_pod_log_folder(tmp_path):
    bundle = _copy(tmp_path)
    (bundle / JOBS).unlink()
    (bundle / PODS).unlink()
    stuck = _nodes(bundle)["hv-node3"]
    assert stuck["job"] == "hvst-upgrade-x7q2m-pre-drain-hv-node3"
    assert stuck["pod"] == "hvst-upgrade-x7q2m-pre-drain-hv-node3-8szcx"
    assert stuck["log"].endswith("/apply.log")
    # No object, no time: since is not guessed.
    assert (stuck["since"], stuck["since_from"]) == (None, None)


def test_a_superseded_upgrade_is_finished_and_the_view_shows_the_latest(tmp_path):
    bundle = _copy(tmp_path)

    def add_old(items: list) -> None:
        old = json.loads(json.dumps(items[0]))
        old["metadata"].update(name="hvst-upgrade-old01", creationTimestamp="2025-06-01T00:00:00Z")
        old["metadata"]["labels"] = {
            "harvesterhci.io/latestUpgrade": "false",
            "harvesterhci.io/upgradeState": "Failed",
        }
        items.append(old)

    _edit(bundle, UPGRADES, add_old)
    with open_sources(bundle) as src:
        finished = {u["name"]: u["finished"] for u in src.get("upgrades")}
    assert finished == {"hvst-upgrade-x7q2m": False, "hvst-upgrade-old01": True}
    report = analyze(bundle)
    assert report.upgrade_progress is not None
    assert report.upgrade_progress.name == "hvst-upgrade-x7q2m"


def test_the_json_markdown_and_terminal_show_the_progress():
    report = json.loads((REPORTS / "upgrade-stuck-predrain.json").read_text("utf-8"))
    jsonschema.validate(report, SCHEMA)
    progress = report["upgrade_progress"]
    assert (progress["state"], progress["phase"], progress["finished"]) == (
        "UpgradingNodes",
        "nodes",
        False,
    )
    assert [(n["node"], n["state"]) for n in progress["nodes"]] == [
        ("hv-node1", "Succeeded"),
        ("hv-node2", "Succeeded"),
        ("hv-node3", "Pre-draining"),
    ]
    markdown = (REPORTS / "upgrade-stuck-predrain.md").read_text("utf-8")
    assert "## Upgrade hvst-upgrade-x7q2m" in markdown
    assert (
        "| hv-node3 | Pre-draining | 2025-06-10T09:12:07Z (job start) |  | "
        "`hvst-upgrade-x7q2m-pre-drain-hv-node3` / `hvst-upgrade-x7q2m-pre-drain-hv-node3-8szcx`"
    ) in markdown
    text = (REPORTS / "upgrade-stuck-predrain.txt").read_text("utf-8")
    lines = [line for line in text.splitlines() if line.startswith("  hv-node")]
    assert lines == [
        "  hv-node1: Succeeded since 2025-06-10 06:11 UTC (post-drain job completion)",
        "  hv-node2: Succeeded since 2025-06-10 08:11 UTC (post-drain job completion)",
        "  hv-node3: Pre-draining since 2025-06-10 09:12 UTC (pre-drain job start)",
    ]


@pytest.mark.parametrize("fixture", ["healthy-v161", "mixed-upgrade-forbidden"])
def test_a_bundle_without_an_upgrade_object_shows_no_upgrade_view(fixture):
    assert json.loads((REPORTS / f"{fixture}.json").read_text("utf-8"))["upgrade_progress"] is None
    assert "## Upgrade " not in (REPORTS / f"{fixture}.md").read_text("utf-8")
    assert 'id="upgrade-progress"' not in (REPORTS / f"{fixture}.html").read_text("utf-8")
    assert "\nUpgrade " not in (REPORTS / f"{fixture}.txt").read_text("utf-8")


def test_text_from_the_upgrade_is_escaped_redacted_and_kept_to_one_line(tmp_path):
    bundle = _copy(tmp_path)
    # A repository URL with credentials in it, as a failed fetch would quote it.
    secret = "https://admin:Sup3rS3cretValue42@repo.example.com/harvester-iso"

    def hostile(items: list) -> None:
        items[0]["status"]["nodeStatuses"]["hv-node3"]["message"] = (
            f"a | b <script>x</script>\x1b[31m {secret} " + "long " * 60
        )

    _edit(bundle, UPGRADES, hostile)
    report = analyze(bundle)
    for fmt in ("json", "md", "html", "text"):
        assert "Sup3rS3cretValue42" not in render(report, fmt), fmt
    markdown = render(report, "md")
    row = next(line for line in markdown.splitlines() if line.startswith("| hv-node3 |"))
    assert row.count(" | ") == 4  # the message's pipe is escaped: five cells
    html = render(report, "html")
    assert "<script>x</script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html
    text = render(report, "text", width=100)
    (line,) = [x for x in text.splitlines() if x.startswith("  hv-node3:")]
    assert len(line) <= 100 and "\x1b" not in line
    jsonschema.validate(to_dict(report), SCHEMA)


def test_odd_upgrade_objects_are_read_without_a_traceback(tmp_path):
    bundle = _copy(tmp_path)

    def odd(items: list) -> None:
        items[0]["status"]["nodeStatuses"] = {
            "node.with.dots": {"state": {"not": "a string"}, "message": ["x"]},
            "hv-node3": "not a mapping",
        }
        items[0]["metadata"]["labels"]["harvesterhci.io/upgradeState"] = 7
        items.append({"kind": "Upgrade", "metadata": {"name": ["odd"]}, "status": []})

    _edit(bundle, UPGRADES, odd)
    _edit(bundle, JOBS, lambda items: items.append({"metadata": {"labels": "nope"}}))
    report = analyze(bundle)
    document = to_dict(report)
    jsonschema.validate(document, SCHEMA)
    for fmt in ("md", "html", "text"):
        render(report, fmt)
    progress = document["upgrade_progress"]
    assert progress is not None and progress["name"] == "hvst-upgrade-x7q2m"
    by_node = {n["node"]: n for n in progress["nodes"]}
    assert by_node["node.with.dots"]["state"] is None  # a mapping is no state
    assert by_node["hv-node3"]["state"] is None
    assert by_node["hv-node3"]["job"] == "hvst-upgrade-x7q2m-pre-drain-hv-node3"
