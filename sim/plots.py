"""PNG plots of a run (matplotlib, no display needed)."""
from __future__ import annotations

from pathlib import Path

from .run import RunResult

#: Coordinates this far out are not a place: a trace parks vehicles that are
#: not on the road there (see ``sim.traces``), and a plot leaves them out.
ABSENT = 1.0e7
#: Instants at which each node's trajectory is sampled for topology.png.
TRAJECTORY_SAMPLES = 120


def present(point) -> bool:
    """Whether a node at ``point`` is in the world (not parked off it)."""
    return abs(point[0]) < ABSENT and abs(point[1]) < ABSENT


def trajectory(mobility, node: int, until: float, samples: int = TRAJECTORY_SAMPLES) -> list:
    """Where ``node`` was at evenly spaced times of [0, until], leaving out the
    times it was not in the world."""
    times = [until * i / (samples - 1) for i in range(samples)] if until > 0 else [0.0]
    points = [mobility.position(node, t) for t in times]
    return [p for p in points if present(p)]


def write_plots(result: RunResult, out: Path) -> list[Path]:
    """topology.png (nodes, their roles, the paths SMs took) and metrics.png
    (completion time and hops per SM, frames and bytes per kind)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    net, sc = result.network, result.scenario
    tracks = {str(n): trajectory(net.mobility, n, result.until) for n in range(sc.count)}
    # each node where it was last in the world; its trajectory behind it, so
    # the SMs' paths (drawn at the places of the nodes when they arrived)
    # line up with where the nodes were at that time
    last = {n: track[-1] for n, track in tracks.items() if track}

    fig, ax = plt.subplots(figsize=(7, 7))
    for track in tracks.values():
        if len(track) > 1:
            ax.plot([p[0] for p in track], [p[1] for p in track], "-", lw=0.6,
                    color="#cccccc", zorder=1)
    ax.scatter([p[0] for p in last.values()], [p[1] for p in last.values()], s=18,
               color="#888888", label="node (last place)", zorder=2)
    roles = sorted({name for tags in sc.tags.values() for name in tags})
    for i, role in enumerate(roles):
        members = [str(n) for n, tags in sc.tags.items() if role in tags and str(n) in last]
        ax.scatter([last[m][0] for m in members], [last[m][1] for m in members],
                   s=70, marker="*", color=f"C{i + 3}", label=role, zorder=3)
    for k, (sm_id, rec) in enumerate(sorted(net.metrics.sms.items())):
        track = [t for t in rec.track if present((t[2], t[3]))]
        if len(track) > 1:
            ax.plot([t[2] for t in track], [t[3] for t in track], "-o", ms=3, lw=1.2,
                    color=f"C{k % 10}", alpha=0.8, label=f"SM {sm_id}", zorder=4)
    absent = sc.count - len(last)
    ax.set_title(f"{sc.name}: {sc.count} nodes, seed {result.seed}, 0-{result.until:g} s\n"
                 "grey: node trajectories; SM paths at the nodes' places on arrival"
                 + (f"; {absent} never in the world" if absent else ""), fontsize=9)
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)")
    ax.set_aspect("equal", adjustable="datalim")
    ax.legend(loc="upper right", fontsize=7)
    topology = out / "topology.png"
    fig.savefig(topology, dpi=110, bbox_inches="tight")
    plt.close(fig)

    metrics = result.metrics()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    sms = metrics["sms"]
    names = [sm["sm"] for sm in sms]
    left.bar(names, [sm["completion_s"] or 0 for sm in sms], color="C0")
    left.set_ylabel("completion time (s)")
    twin = left.twinx()
    twin.plot(names, [sm["hops"] for sm in sms], "o-", color="C1")
    twin.set_ylabel("hops")
    left.set_title("per SM")
    # SM ids side by side overlap: slant them, and name at most ~25
    step = max(1, len(names) // 25)
    left.set_xticks(range(0, len(names), step), names[::step], rotation=45, ha="right",
                    fontsize=7)
    kinds = list(metrics["frames"])
    right.bar(kinds, [metrics["frames"][k]["bytes"] / 1024 for k in kinds], color="C2")
    right.set_ylabel("KiB sent")
    right.set_title("frames by kind (count on each bar)")
    right.set_xticks(range(len(kinds)), kinds, rotation=30, ha="right", fontsize=8)
    for k, kind in enumerate(kinds):
        right.annotate(str(metrics["frames"][kind]["count"]), (k, 0), ha="center", va="bottom",
                       fontsize=8)
    curves = out / "metrics.png"
    fig.tight_layout()
    fig.savefig(curves, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return [topology, curves]
