"""Where a new room goes: the least-loaded live node that accepts rooms (pure logic, no I/O).

Like LiveKit's node selector: every node publishes its load with its heartbeat (sessions, CPU load, analysis
backlog, draining); a node past any of its limits, or draining, gets no new rooms; among the others the one with
the least pressure (the highest fraction of any limit in use) wins, the node that received the join on a near-tie
(no relay hop for its participants).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace

TIE_MARGIN = 0.05  # pressures this close count as equal: the receiving node keeps the room
UNLIMITED_CALLS_SCALE = 100  # with no call limit, calls still rank nodes as if 100 were full


@dataclass(frozen=True)
class Limits:
    """Where a node stops taking new rooms; 0 = no limit on that measure."""

    max_calls: int = 0
    max_cpu_load: float = 0.0  # 1-minute load average per CPU, as LiveKit's sysload
    max_analysis_backlog: int = 0  # frames queued for the analysis workers


@dataclass(frozen=True)
class NodeLoad:
    """What a node publishes with each heartbeat."""

    node_id: str
    calls: int
    cpu_load: float
    analysis_backlog: int
    draining: bool
    limits: Limits
    boot_id: str = ""  # random per process start: a node restarted with the same id is seen as a new incarnation

    def to_json(self) -> str:
        """The heartbeat payload."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: str) -> NodeLoad:
        """Parse a heartbeat payload (ValueError/KeyError/TypeError if malformed)."""
        data = json.loads(raw)
        return cls(node_id=str(data["node_id"]), calls=int(data["calls"]), cpu_load=float(data["cpu_load"]),
                   analysis_backlog=int(data["analysis_backlog"]), draining=bool(data["draining"]),
                   limits=Limits(**data["limits"]), boot_id=str(data.get("boot_id", "")))

    def with_one_more_call(self) -> NodeLoad:
        """This load after one more room was placed here (until the node's next heartbeat says better)."""
        return replace(self, calls=self.calls + 1)


def pressure(load: NodeLoad) -> float:
    """The largest fraction of any of the node's limits in use (calls count even when not limited)."""
    parts = [load.calls / (load.limits.max_calls or UNLIMITED_CALLS_SCALE)]
    if load.limits.max_cpu_load:
        parts.append(load.cpu_load / load.limits.max_cpu_load)
    if load.limits.max_analysis_backlog:
        parts.append(load.analysis_backlog / load.limits.max_analysis_backlog)
    return max(parts)


def refusals(load: NodeLoad) -> list[str]:
    """Why this node should get no new rooms (empty: it accepts them)."""
    reasons = ["draining"] if load.draining else []
    limits = load.limits
    if limits.max_calls and load.calls >= limits.max_calls:
        reasons.append("overloaded_calls")
    if limits.max_cpu_load and load.cpu_load >= limits.max_cpu_load:
        reasons.append("overloaded_cpu")
    if limits.max_analysis_backlog and load.analysis_backlog >= limits.max_analysis_backlog:
        reasons.append("overloaded_analysis")
    return reasons


def choose_node(loads: Iterable[NodeLoad], here: str) -> str | None:
    """The node a new room should run on, or None when no live node accepts rooms."""
    open_nodes = [load for load in loads if not refusals(load)]
    if not open_nodes:
        return None
    best = min(open_nodes, key=lambda load: (pressure(load), load.node_id))
    local = next((load for load in open_nodes if load.node_id == here), None)
    if local is not None and pressure(local) <= pressure(best) + TIE_MARGIN:
        return here
    return best.node_id
