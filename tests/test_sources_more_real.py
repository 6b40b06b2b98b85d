"""Every source of issue 12 item 4 built on the real bundle (../shared/bundles): an old
collector's output (Longhorn v1beta1 maps, no Harvester settings, no alerts, no scc archive)
must read cleanly, with what it has and nothing noted."""

from __future__ import annotations

from analyzer.sources import SourceMissing, open_sources
from tests.test_sources_more import NEW, ask


def test_every_new_source_reads_the_real_bundle(real_bundle):
    with open_sources(real_bundle) as src:
        built = {}
        for name in NEW:
            try:
                built[name] = src.get(name)
            except SourceMissing as missing:
                built[name] = str(missing)
        assert not src.notes
        assert built["alerts"].startswith("prometheus-alerts.json is not in the bundle")
        assert [j["node"] for j in built["jobs"]] == ["node1"] * len(built["jobs"])
        assert len(built["jobs"]) == 6 and len(built["pdbs"]) == 4
        assert built["vmis"] == [] and built["migrations"] == [] and built["longhorn_engines"] == []
        # v1beta1: conditions and disk conditions are maps by type
        node = built["longhorn_nodes"][0]
        assert (node["node"], node["ready"], node["disks"][0]["ready"]) == ("node1", "True", "True")
        assert node["disks"][0]["path"] == "/var/lib/harvester/defaultdisk"
        assert built["engine_images"][0]["node_deployment_map"] == {"node1": True}
        assert built["settings"]["harvester"] == {} and len(built["settings"]["longhorn"]) == 46
        assert built["node_resources"][0]["allocatable"]["cpu"]
        assert ask(src, "longhorn_nodes[].disks[?schedulable != 'True'][]") == []
        # Longhorn's instance-manager PDBs allow no disruption on a single node: real data
        assert ask(src, "pdbs[?disruptions_allowed == `0`].name") == [
            "instance-manager-e-5708ef52",
            "instance-manager-r-9d910deb",
        ]
        assert ask(src, "jobs[?failed_reason]") == []
        assert "node1/kernel.log" in {name for name, _ in src.log_files("node_logs")}
        assert src.log_files("scc_logs") == []
