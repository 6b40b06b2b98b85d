"""The upgrade's per-node progress as a lane of steps, for the HTML report and the summary.

A node goes through the steps Harvester's upgrade controller drives it through: its images are
preloaded, it is pre-drained (VMs moved away), post-drained (OS upgraded), rebooted, done. Its
state says which step it is in, or has just finished; a failed node failed in the step its job
ran (its job type says which).
"""

from __future__ import annotations

from analyzer.report import UpgradeNode

STEPS = ("preload", "pre-drain", "post-drain", "reboot")
#: a node state -> (its step, whether that step is done)
_STATE_STEP = {
    "Images preloading": (0, False),
    "Images preloaded": (0, True),
    "Node-upgrade paused": (0, True),
    "Pre-draining": (1, False),
    "Pre-drained": (1, True),
    "Post-draining": (2, False),
    "Waiting Reboot": (3, False),
}
_JOB_STEP = {"prepare": 0, "pre-drain": 1, "post-drain": 2, "single-node-upgrade": 2}


def lane(node: UpgradeNode) -> list[tuple[str, str]]:
    """Each step with its status: done, current, failed or todo (unknown: all todo)."""
    if node.state == "Succeeded":
        return [(step, "done") for step in STEPS]
    if node.state == "Failed":
        at, status = _failed_step(node), "failed"
    elif node.state in _STATE_STEP:
        at, finished = _STATE_STEP[node.state]
        status = "done" if finished else "current"
    else:
        return [(step, "todo") for step in STEPS]
    return [
        (step, "done" if i < at else status if i == at else "todo") for i, step in enumerate(STEPS)
    ]


def _failed_step(node: UpgradeNode) -> int:
    # The job that failed ran the step; with no job known, the first step is blamed.
    return _JOB_STEP.get(node.job_type or "", 0)


def node_line(node: UpgradeNode) -> str:
    """One node in one line of text: its phase, since when (from which job), its message;
    the job's and pod's names are in the reports."""
    text = f"{node.node}: {node.state or 'no state'}"
    if node.since:
        text += f" since {node.since[:10]} {node.since[11:16]} UTC"
        text += f" ({node.job_type} {node.since_from})" if node.job_type else ""
    if node.message:
        text += f" · {node.message}"
    return text
