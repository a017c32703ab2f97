"""PNG plots of a run (matplotlib, no display needed)."""
from __future__ import annotations

from pathlib import Path

from .run import RunResult


def write_plots(result: RunResult, out: Path) -> list[Path]:
    """topology.png (nodes, their roles, the paths SMs took) and metrics.png
    (completion time and hops per SM, frames and bytes per kind)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    net, sc = result.network, result.scenario
    positions = {str(n): net.mobility.position(n, result.until) for n in range(sc.count)}

    fig, ax = plt.subplots(figsize=(7, 7))
    xs = [p[0] for p in positions.values()]
    ys = [p[1] for p in positions.values()]
    ax.scatter(xs, ys, s=18, color="#888888", label="node", zorder=2)
    roles = sorted({name for tags in sc.tags.values() for name in tags})
    for i, role in enumerate(roles):
        members = [str(n) for n, tags in sc.tags.items() if role in tags]
        ax.scatter([positions[m][0] for m in members], [positions[m][1] for m in members],
                   s=70, marker="*", color=f"C{i + 3}", label=role, zorder=3)
    for k, (sm_id, rec) in enumerate(sorted(net.metrics.sms.items())):
        if len(rec.track) > 1:
            ax.plot([t[2] for t in rec.track], [t[3] for t in rec.track], "-o", ms=3, lw=1.2,
                    color=f"C{k % 10}", alpha=0.8, label=f"SM {sm_id}", zorder=4)
    ax.set_title(f"{sc.name}: {sc.count} nodes, seed {result.seed} (positions at "
                 f"t={result.until:g} s; paths at arrival times)")
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
    kinds = list(metrics["frames"])
    right.bar(kinds, [metrics["frames"][k]["bytes"] / 1024 for k in kinds], color="C2")
    right.set_ylabel("KiB sent")
    right.set_title("frames by kind")
    for k, kind in enumerate(kinds):
        right.annotate(str(metrics["frames"][kind]["count"]), (k, 0), ha="center", va="bottom",
                       fontsize=8)
    curves = out / "metrics.png"
    fig.savefig(curves, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return [topology, curves]
