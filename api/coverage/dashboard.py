"""``GET /dashboards/coverage``: a coverage run as leadership reads it: the headline figures,
covered share by street (bars, one series per tier), how far people live from the nearest
facility (walking beside straight line), the gaps ranked, and a table per street; printable
on A4 or A3 landscape with the title, date (北京时间), parameters and the data notice.

The charts are drawn by the page script (``/static/web/dashboard.js``, ECharts pinned and
served by the app) from the figures this module puts in the page as JSON; the table is HTML.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import numpy as np
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from api.auth import read_access
from api.catalog import Catalog
from api.coverage.map import KIND_NAMES, facility_layer, facility_layers
from api.coverage.map_layers import main_weight
from api.coverage.service import CoverageRun, parse_tiers, run_coverage
from api.deps import CatalogDep, NetworkDep
from api.network.service import NetworkSource
from api.web.dashboard_labels import labels_for
from api.web.i18n import Lang, request_lang
from api.web.render import render
from geo.coverage import tier_label

__all__ = ["coverage_figures", "router"]

router = APIRouter(
    tags=["pages / 页面"], include_in_schema=False, dependencies=[Depends(read_access)]
)

BEIJING = dt.timezone(dt.timedelta(hours=8))
#: width of a distance class of the histogram (m)
DISTANCE_BIN_M = 100.0
#: gaps listed on the dashboard
TOP_GAPS = 15


def _names(catalog: Catalog, kind: str) -> dict[str, str]:
    """Division code -> name from the store's layers of ``kind`` (streets, districts)."""
    out: dict[str, str] = {}
    for info in catalog.layers.values():
        if info.kind == kind:
            frame = catalog.store.read(info.name)
            if {"code", "name"} <= set(frame.columns):
                out.update(zip(frame["code"].astype(str), frame["name"].astype(str), strict=True))
    return out


def _streets(run: CoverageRun, weight: str, names: dict[str, str]) -> list[dict[str, Any]]:
    table = run.result.rollup("street", geometry=False)
    rows = []
    for _, row in table.iterrows():
        code = str(row["street_code"])
        shares = {
            tier_label(r): float(row[f"{weight}_covered_share_{tier_label(r)}"])
            for r in run.result.tiers_m
        }
        last = tier_label(run.result.tiers_m[-1])
        rows.append(
            {"code": code, "name": names.get(code, code), "total": int(row[weight]),
             "uncovered": int(row[f"{weight}_uncovered_{last}"]), "shares": shares}
        )  # fmt: skip
    return sorted(rows, key=lambda r: r["shares"][tier_label(run.result.tiers_m[-1])])


def _histogram(distances: np.ndarray, top_m: float) -> list[int]:
    finite = distances[np.isfinite(distances)]
    edges = np.arange(0.0, top_m + DISTANCE_BIN_M, DISTANCE_BIN_M)
    counts, _ = np.histogram(np.minimum(finite, top_m - 1e-6), bins=edges)
    return [int(c) for c in counts]


def coverage_figures(
    run: CoverageRun, straight: CoverageRun | None, names: dict[str, str]
) -> dict[str, Any]:
    """What the dashboard shows, as JSON-ready figures: headline per tier, streets, the
    distance histogram (walking and, when given, straight line) and the ranked gaps."""
    weight = main_weight(run)
    summary = run.result.summary()["weights"][weight]
    top_m = float(np.ceil(run.result.tiers_m[-1] * 2 / DISTANCE_BIN_M) * DISTANCE_BIN_M)
    distance = {run.result.mode: _histogram(run.result.demand["distance_m"].to_numpy(float), top_m)}
    if straight is not None:
        distance["euclidean"] = _histogram(
            straight.result.demand["distance_m"].to_numpy(float), top_m
        )
    last = tier_label(run.result.tiers_m[-1])
    gaps = run.result.gaps(level="community").head(TOP_GAPS)
    return {
        "weight": weight,
        "total": summary["total"],
        "tiers": [{"tier": t, **v} for t, v in summary["tiers"].items()],
        "streets": _streets(run, weight, names),
        "distance": {"bin_m": DISTANCE_BIN_M, "top_m": top_m, "counts": distance},
        "gaps": [
            {"name": str(g.get("name", g.get("code", ""))), "code": str(g.get("code", "")),
             "uncovered": int(g[f"{weight}_uncovered_{last}"])}
            for _, g in gaps.iterrows()
        ],
    }  # fmt: skip


def _run(
    catalog: Catalog,
    source: NetworkSource,
    layer: str,
    tiers_m: list[float] | None,
    mode: Literal["network", "euclidean"],
) -> CoverageRun:
    return run_coverage(
        catalog, facilities=layer, tiers_m=tiers_m, mode=mode, network_source=source
    )


@router.get("/dashboards/coverage", response_class=HTMLResponse)
def coverage_dashboard(  # noqa: PLR0917 - one parameter per query option
    request: Request,
    catalog: CatalogDep,
    network_source: NetworkDep,
    facilities: Annotated[str, Query(max_length=128)] = "stations",
    tiers: Annotated[str | None, Query(max_length=80)] = None,
    mode: Literal["network", "euclidean"] = "network",
) -> HTMLResponse:
    """The coverage dashboard of one facility layer (any facility layer of the store)."""
    lang: Lang = request_lang(request, default=request.app.state.settings.lang)
    layer = facility_layer(catalog, facilities, "facilities")
    tiers_m = list(parse_tiers(tiers, field="tiers")) if tiers else None
    run = _run(catalog, network_source, layer, tiers_m, mode)
    straight = (
        _run(catalog, network_source, layer, tiers_m, "euclidean") if mode == "network" else None
    )
    figures = coverage_figures(run, straight, _names(catalog, "streets"))
    kind = catalog.kind(layer)
    labels = labels_for(lang)
    tiers_text = ",".join(f"{r:g}" for r in run.result.tiers_m)
    now = dt.datetime.now(BEIJING).strftime("%Y-%m-%d %H:%M")
    context = {
        "figures": figures,
        "labels": labels,
        "L": labels,
        "layer": layer,
        "kind_label": KIND_NAMES.get(kind, (kind, kind))[0 if lang == "zh" else 1],
        "layers": facility_layers(catalog, lang),
        "tiers_text": tiers_text,
        "mode": mode,
        "printed_at": now,
        "notes": [note.split(" / ")[-1 if lang == "zh" else 0] for note in run.notes],
        "map_query": urlencode({"facilities": layer, "tiers": tiers_text, "mode": mode}),
    }
    return render(request, "dashboard_coverage.html", context)
