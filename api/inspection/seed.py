"""Turn the demo's estimated ``inspections`` layer into inspection records.

The demo store carries an estimated campaign (``2025-0001`` on line 0001) as a plain layer.
The record tables are the source of truth for inspections, so :func:`seed_demo_records`
copies those rows into records of an *estimated* campaign, through the same checks on
arrival as a field submission. Record ids are UUID-5 of the demo ids: seeding twice stores
every record once.
"""

from __future__ import annotations

import uuid
from typing import Any

import pandas as pd

from api.inspection.schemas import MarkerInspectionCreate, canonical_body
from api.inspection.service import Register, check_marker_inspection
from geo.inspection import ArrivalRules
from layers.records import Campaign, RecordNotFoundError, RecordStore
from layers.store import Store

__all__ = ["DEMO_NAMESPACE", "seed_demo_records", "seed_demo_store"]

#: namespace of the UUID-5 record ids of demo inspections
DEMO_NAMESPACE = uuid.UUID("6f1c2e4a-0d7b-5c1e-9a57-6d7a2b1f4c30")
DEMO_ACTOR = "demo"


def _campaign(
    records: RecordStore, register: Register, campaign_id: str, line_code: str
) -> Campaign:
    try:
        return records.get_campaign(campaign_id)
    except RecordNotFoundError:
        pass
    line = register.line(line_code).attrs
    year = int(campaign_id[:4]) if campaign_id[:4].isdigit() else 2025
    campaign = Campaign(
        campaign_id, line_code, 1, year, f"{year}年{line.get('name', line_code)}联检（示例，估算）",
        str(line["left_code"]), str(line["left_name"]), str(line["right_code"]),
        str(line["right_name"]), estimated=True,
    )  # fmt: skip
    return records.add_campaign(campaign, actor=DEMO_ACTOR)


def _body(row: Any, campaign_id: str) -> MarkerInspectionCreate:
    names = list(row["inspectors"] or [])
    inspectors = [{"name": n, "side": "left" if i == 0 else "right"} for i, n in enumerate(names)]
    point = row["geometry"]
    position = None
    if point is not None and not point.is_empty:
        position = {
            "lon": point.x, "lat": point.y, "accuracy_m": float(row["accuracy_m"]),
            "fix_type": row["fix_type"], "source": "demo (estimated)",
        }  # fmt: skip
    return MarkerInspectionCreate.model_validate(
        {
            "record_id": uuid.uuid5(DEMO_NAMESPACE, str(row["inspection_id"])),
            "campaign_id": campaign_id,
            "marker_no": row["marker_no"],
            "inspected_at": pd.Timestamp(row["inspected_at"]).isoformat(),
            "condition": row["condition"],
            "damage_detail": row.get("damage_detail"),
            "position": position,
            "reference_status": row.get("reference_status") or [],
            "actions": row.get("actions") or [],
            "notes": "估算的示例记录 / estimated demo record",
            "inspectors": inspectors,
        }
    )


def seed_demo_records(
    store: Store,
    records: RecordStore,
    *,
    layer: str = "inspections",
    rules: ArrivalRules | None = None,
) -> int:
    """Copy the rows of the demo ``inspections`` layer into records (marked estimated).

    Parameters
    ----------
    store
        The demo layer store (with ``inspections``, ``markers`` and ``boundary_lines``).
    records
        The record store to fill.
    layer
        The layer holding the demo rows.
    rules
        Thresholds of the checks on arrival.

    Returns
    -------
    int
        How many records were created (0 when they were all there already).
    """
    register = Register(store)
    frame = store.read(layer)
    created_count = 0
    for _, row in frame.iterrows():
        marker = register.markers().loc[row["marker_no"]]
        campaign = _campaign(records, register, str(row["campaign_id"]), str(marker["line_code"]))
        body = _body(row, campaign.campaign_id)
        computed = check_marker_inspection(body, campaign, register, rules=rules or ArrivalRules())
        record, created = records.create_record(
            "marker", record_id=str(body.record_id), campaign_id=campaign.campaign_id,
            line_code=campaign.line_code, body=canonical_body(body), computed=computed,
            actor=DEMO_ACTOR, estimated=True,
        )  # fmt: skip
        state = str(row.get("review_state") or "received")
        if created and state != "received":
            records.review_record(
                record.record_id, state=state, comment="估算的示例审核 / estimated demo review",
                if_match=record.etag, actor=DEMO_ACTOR, campaign_id=record.campaign_id,
            )  # fmt: skip
        created_count += int(created)
    return created_count


def seed_demo_store(store: Store) -> int:
    """Seed the records of a freshly built demo store (its own record store)."""
    from layers.records import open_record_store

    return seed_demo_records(store, open_record_store(store))
