"""The home page for browsers (``GET /`` with ``Accept: text/html``): the jobs a person can
do, each with a line of explanation and a link, and a summary of the store (layers and
their counts, when the data was last changed, the estimated-data notice)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse

from api.deps import get_store
from api.maps.i18n import kind_label
from api.maps.pages import store_label
from api.web.i18n import request_lang
from api.web.render import render
from layers.store import Store

__all__ = ["JOBS", "home_page", "store_summary"]

#: (label key, link) of every job, in the order a newcomer meets them
JOBS: tuple[tuple[str, str], ...] = (
    ("job_maps", "/maps"),
    ("job_layers", "/layers"),
    ("job_coverage", "/maps/coverage"),
    ("job_siting", "/maps/siting"),
    ("job_zones", "/zones"),
    ("job_inspection", "/maps/inspection"),
    ("job_docs", "/docs"),
)


@dataclass(frozen=True)
class StoreSummary:
    """What the home page says of the store."""

    name: str
    layers: list[dict[str, Any]]
    oldest: str | None
    newest: str | None
    estimated: bool


def _has_estimates(store: Store, name: str) -> bool:
    frame = store.read(name)
    if "estimated_fields" not in frame:
        return False
    return bool(frame["estimated_fields"].fillna("").astype(str).str.len().gt(0).any())


def store_summary(request: Request) -> StoreSummary:
    """The summary of the app's store, computed once per set of layer versions."""
    store = get_store(request)
    infos = sorted(store.layers(), key=lambda i: i.name)
    key = tuple((i.name, i.version) for i in infos)
    cached: tuple[Any, StoreSummary] | None = getattr(request.app.state, "home_summary", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    dates = sorted(i.updated_at[:10] for i in infos if i.updated_at)
    layers = [
        {
            "name": i.name,
            "kind": i.kind,
            "count": i.count,
            "updated": i.updated_at[:10],
            "estimated": bool(i.count) and _has_estimates(store, i.name),
        }
        for i in infos
    ]
    summary = StoreSummary(
        name=store_label(store),
        layers=layers,
        oldest=dates[0] if dates else None,
        newest=dates[-1] if dates else None,
        estimated=any(row["estimated"] for row in layers),
    )
    request.app.state.home_summary = (key, summary)
    return summary


def home_page(request: Request) -> HTMLResponse:
    """The home page."""
    summary = store_summary(request)
    lang = request_lang(request, default=request.app.state.settings.lang)
    kinds = {row["kind"]: kind_label(row["kind"], lang) for row in summary.layers}
    return render(request, "home.html", {"jobs": JOBS, "summary": summary, "kinds": kinds})
