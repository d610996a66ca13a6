"""The answer to a zone-plan edit, for people: every community whose station changed, with
its name and the reason (the person's move, contiguity, band, rebalance — see
:mod:`geo.zones.explain`), the workload of every station the edit touched against its band
before and after, and a warning for each station the edit leaves outside its band.

Shared by ``POST /analyses/zones/{id}/edits`` (``preview`` included) and the zones editor.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from api.catalog import Catalog
from api.tables import json_safe
from api.zones.schemas import EditRequest
from api.zones.stored import EditResult
from geo.zones import band_states, explain_changes
from layers.schema import SCHEMAS

__all__ = ["REASON_TEXT", "edit_answer", "layer_names"]

#: (English, Chinese) of each reason a unit changed station
REASON_TEXT: dict[str, tuple[str, str]] = {
    "requested": ("moved by you", "您移动的"),
    "contiguity": (
        "the move cut it off from the rest of its zone, so it joined a touching zone",
        "移动后它与原片区其余部分不再相连，因此并入相邻片区",
    ),
    "band": (
        "moved so that the stations involved stay within their workload band",
        "为使相关驿站的工作量保持在区间内而调整",
    ),
    "rebalance": (
        "moved by the local rebalance (shorter walks after the other changes)",
        "局部重新平衡时调整（使步行距离更短）",
    ),
}
_BAND_WORDS = {
    "over": ("above its upper limit", "高于上限"),
    "under": ("below its lower limit", "低于下限"),
}


def layer_names(catalog: Catalog, layer: str) -> dict[str, str]:
    """``{id: name}`` of a layer's features (ids as text; empty when it has no names)."""
    frame = catalog.store.read(layer)
    schema = SCHEMAS.get(catalog.kind(layer))
    id_col = schema.id_field if schema is not None else None
    if id_col not in frame.columns or "name" not in frame.columns:
        return {}
    return dict(zip(frame[id_col].astype(str), frame["name"].fillna("").astype(str), strict=True))


def _stations(
    result: EditResult, station_ids: list[str], names: dict[str, str]
) -> list[dict[str, Any]]:
    before = band_states(result.before.plan).set_index("station_id")
    after = band_states(result.stored.plan).set_index("station_id")
    before.index, after.index = before.index.astype(str), after.index.astype(str)
    rows = []
    for sid in station_ids:
        b, a = before.loc[sid], after.loc[sid]
        rows.append(
            {
                "station_id": sid,
                "name": names.get(sid, ""),
                "capacity": a["capacity"],
                "lower": a["lower"],
                "upper": a["upper"],
                "before": {"workload": b["workload"], "band": b["band"]},
                "after": {"workload": a["workload"], "band": a["band"]},
            }
        )
    return rows


def _warning(row: dict[str, Any], band: float) -> dict[str, Any]:
    state, workload = row["after"]["band"], row["after"]["workload"]
    en, zh = _BAND_WORDS[state]
    limit = row["upper"] if state == "over" else row["lower"]
    who = f"{row['name']} ({row['station_id']})" if row["name"] else row["station_id"]
    share = f"{100 * workload / row['capacity']:.0f} %" if row["capacity"] else "—"
    pct = f"±{100 * band:.0f} %"
    message = (
        f"station {who}: workload {workload:g} ({share} of capacity {row['capacity']:g}) is "
        f"{en} {limit:g} (band {pct}) / 驿站 {who}：工作量 {workload:g}（为服务能力 "
        f"{row['capacity']:g} 的 {share}）{zh} {limit:g}（区间 {pct}）"
    )
    return {"station_id": row["station_id"], "band": state, "message": message}


def edit_answer(catalog: Catalog, result: EditResult, edit: EditRequest) -> dict[str, Any]:
    """What changed and why, the touched stations before/after, and the band warnings."""
    request = result.stored.request
    units = layer_names(catalog, request.units_layer)
    stations = layer_names(catalog, request.stations_layer)
    moves: dict[Hashable, Hashable] = {m.unit: m.station for m in edit.moves}
    table = explain_changes(result.before.plan, result.stored.plan, moves)
    changes = [
        {
            "unit": str(r.unit_id),
            "unit_name": units.get(str(r.unit_id), ""),
            "from_station": None if r.from_station is None else str(r.from_station),
            "from_name": stations.get(str(r.from_station), ""),
            "to_station": None if r.to_station is None else str(r.to_station),
            "to_name": stations.get(str(r.to_station), ""),
            "reason": str(r.reason),
            "why": " / ".join(REASON_TEXT[str(r.reason)]),
        }
        for r in table.itertuples(index=False)
    ]
    touched = {s for c in changes for s in (c["from_station"], c["to_station"]) if s}
    touched |= {m.station for m in edit.moves}
    ordered = [str(s) for s in result.stored.plan.problem.station_ids if str(s) in touched]
    rows = _stations(result, ordered, stations)
    warnings = [_warning(r, request.band) for r in rows if r["after"]["band"] != "ok"]
    all_after = band_states(result.stored.plan)
    outside = all_after.loc[all_after["band"] != "ok", "station_id"].astype(str).tolist()
    return json_safe(
        {
            "preview": edit.preview,
            "changes": changes,
            "locked": list(dict.fromkeys([*edit.locks, *(moves if edit.lock_moved else [])])),
            "unlocked": list(edit.unlocks),
            "stations_touched": rows,
            "band_warnings": warnings,
            "stations_out_of_band": outside,
            "out_of_band": bool(warnings),
        }
    )
