"""One-line, human-readable descriptions of frames (logs, packet dissectors)."""
from __future__ import annotations

from .frames import Frame, Kind

__all__ = ["summarize"]


def _short(text: str, width: int = 24) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def _ids(ids: tuple[str, ...]) -> str:
    return "[" + ",".join(bid[:8] for bid in ids) + "]"


def summarize(frame: Frame) -> str:
    """E.g. ``Offer hop=1f2e3d4c sm=sm7 fuel=1000 tag_mem=0 rt_mem=0 bricks=[ab12cd34]``."""
    kind = frame.KIND
    name = type(frame).__name__
    if kind is Kind.BEACON:
        pos = "-" if frame.position is None else "({:g}, {:g})".format(*frame.position)
        return (f"{name} node={_short(frame.node_id)} seq={frame.seq} pos={pos} "
                f"tags={len(frame.tags)}")
    if kind is Kind.RESULT:
        return (f"{name} sm={_short(frame.sm_id)} origin={_short(frame.origin)} "
                f"ok={frame.ok} value={len(frame.value)}B")
    if kind is Kind.INJECT:
        return (f"{name} req={frame.request_id.hex()[:16]} source={len(frame.source)}ch "
                f"args={len(frame.args)}B wait={frame.wait}")
    if kind is Kind.INJECT_REPLY:
        return (f"{name} req={frame.request_id.hex()[:16]} sm={_short(frame.sm_id)} "
                f"ok={frame.ok} value={len(frame.value)}B")
    if kind is Kind.STATUS_QUERY:
        return f"{name} req={frame.request_id.hex()[:16]} padding={len(frame.padding)}B"
    if kind is Kind.STATUS_REPLY:
        return f"{name} req={frame.request_id.hex()[:16]} status={len(frame.status)}B"
    text = f"{name} hop={frame.hop_id.hex()[:8]}"
    if kind is Kind.OFFER:
        text += (f" sm={_short(frame.sm_id)} fuel={frame.fuel} tag_mem={frame.tag_memory} "
                 f"rt_mem={frame.runtime_memory} bricks={_ids(frame.bricks)}")
    elif kind is Kind.ACCEPT:
        text += f" missing={_ids(frame.missing)}"
    elif kind is Kind.REJECT:
        text += f" reason={_short(frame.reason, 40)!r}"
    elif kind is Kind.TRANSFER:
        text += (f" sm={_short(frame.sm_id)} cont={len(frame.continuation)}B "
                 f"code={_ids(tuple(bid for bid, _ in frame.code))} data={len(frame.data)}B")
    return text
