"""An estimated 2025 boundary inspection campaign (界线联检) on line 0001 of the demo."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers.demo._common import MEASURE_CRS, STORE_CRS, tag

__all__ = ["CAMPAIGN_ID", "build_inspections"]

CAMPAIGN_ID = "2025-0001"
LINE_CODE = "0001"
RECORDS = 30
DISPLACED = 2
INSPECTORS = (
    ("王建国", "李明", "张伟", "孙丽"),  # 东城区 side
    ("刘洋", "陈静", "赵磊", "周芳"),  # 西城区 side
)
FIXES = {  # fix type: (probability, accuracy range in m)
    "RTK": (0.6, (0.01, 0.05)),
    "differential": (0.3, (0.3, 1.0)),
    "single": (0.1, (2.0, 4.0)),
}
DETAILS = {"损坏": ("桩体裂缝", "桩顶破损", "注记模糊"), "遮挡掩埋": ("被土堆掩埋", "被绿篱遮挡")}
ACTIONS = {
    "完好": ["拍照记录"],
    "损坏": ["拍照记录", "登记待修复"],
    "遮挡掩埋": ["清理遮挡物", "拍照记录"],
    "移位": ["拍照记录", "复测坐标", "上报区划部门"],
}


def build_inspections(markers: gpd.GeoDataFrame, *, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """A few dozen inspection records of campaign ``2025-0001`` on markers of line 0001:
    observed positions within a metre or two of the register, two displaced by several
    metres; all estimated."""
    on_line = markers[markers["line_code"] == LINE_CODE].reset_index(drop=True)
    n = min(RECORDS, len(on_line))
    picked = on_line.iloc[np.sort(rng.choice(len(on_line), size=n, replace=False))]
    conditions = rng.choice(["完好", "损坏", "遮挡掩埋"], size=n, p=[0.8, 0.12, 0.08]).astype(
        object
    )
    offset_m = rng.uniform(0.1, 1.5, n)
    moved = rng.choice(n, size=DISPLACED, replace=False)
    offset_m[moved] = rng.uniform(4.0, 9.0, DISPLACED)
    conditions[moved[0]] = "移位"
    conditions[moved[1]] = "完好"  # displaced, but not noticed on site
    bearing = rng.uniform(0.0, 2.0 * np.pi, n)
    register = picked.to_crs(MEASURE_CRS).geometry.to_numpy()
    observed = shapely.points(
        shapely.get_x(register) + offset_m * np.sin(bearing),
        shapely.get_y(register) + offset_m * np.cos(bearing),
    )
    fixes = list(FIXES)
    fix = rng.choice(len(fixes), size=n, p=[FIXES[f][0] for f in fixes])
    low = np.array([FIXES[fixes[i]][1][0] for i in fix])
    high = np.array([FIXES[fixes[i]][1][1] for i in fix])
    frame = gpd.GeoDataFrame(
        {
            "inspection_id": [f"{CAMPAIGN_ID}-{i + 1:03d}" for i in range(n)],
            "campaign_id": CAMPAIGN_ID,
            "marker_no": picked["marker_no"].to_numpy(),
            "inspected_at": _times(n, rng=rng),
            "condition": conditions,
            "damage_detail": [_detail(c, rng) for c in conditions],
            "accuracy_m": np.round(rng.uniform(low, high), 2),
            "fix_type": [fixes[i] for i in fix],
            "reference_status": [_ref_status(r, rng) for r in picked["reference_objects"]],
            "actions": [ACTIONS[c] for c in conditions],
            "inspectors": [
                [f"{rng.choice(INSPECTORS[0])}（东城区）", f"{rng.choice(INSPECTORS[1])}（西城区）"]
                for _ in range(n)
            ],
            "review_state": rng.choice(
                ["received", "approved", "has_issues"], size=n, p=[0.3, 0.6, 0.1]
            ),
        },
        geometry=observed,
        crs=MEASURE_CRS,
    ).to_crs(STORE_CRS)
    estimated = [c for c in frame.columns if c not in ("inspection_id", "campaign_id")]
    return tag(frame, source="estimated demo inspection campaign", estimated=estimated)


def _times(n: int, *, rng: np.random.Generator) -> pd.DatetimeIndex:
    """Working days from 2025-04-08, six markers a day, about 40 minutes apart."""
    day = pd.bdate_range("2025-04-08", periods=n // 6 + 1).repeat(6)[:n]
    minutes = (np.arange(n) % 6) * 40 + rng.integers(0, 20, n)
    local = day + pd.Timedelta(hours=9) + pd.to_timedelta(minutes, unit="min")
    return local.tz_localize("Asia/Shanghai")


def _detail(condition: str, rng: np.random.Generator) -> str | None:
    options = DETAILS.get(condition)
    return None if options is None else str(rng.choice(options))


def _ref_status(references: list[dict[str, object]], rng: np.random.Generator) -> list[object]:
    return [
        {"name": r["name"], "status": "完好" if rng.random() < 0.9 else "缺失"} for r in references
    ]
