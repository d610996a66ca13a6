"""The outcome of a resize run: flags, proposals and their tables, layers and map."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo._errors import AnalysisError
from geo.communities.blocks import COUNT_COLUMNS
from geo.communities.proposal import Proposal, with_shape_measures
from geo.projection import measuring_crs

__all__ = ["ResizeResult"]

#: how far (degrees, ~1 mm) a part's vertex may be from an old vertex to be put back on it
_SNAP_DEG, _SNAP_M = 1e-8, 1e-3
_TABLE = ("households", "population", "elderly_60_plus", "area_m2", "perimeter_m", "compactness")


@dataclass(frozen=True, eq=False)
class ResizeResult:
    """Flags of every community and a :class:`Proposal` per community taken.

    ``communities`` is the input layer (its CRS is the CRS of every frame returned here);
    ``band`` the households each part must hold; ``seconds`` the run time.
    """

    flags: pd.DataFrame
    proposals: tuple[Proposal, ...]
    communities: gpd.GeoDataFrame
    band: tuple[float, float]
    seconds: float

    @classmethod
    def of_proposal(cls, proposal: Proposal, communities: gpd.GeoDataFrame) -> ResizeResult:
        """A result holding one (stored) proposal, on the current ``communities``."""
        from geo.communities.resize import flag_communities

        return cls(flag_communities(communities), (proposal,), communities, proposal.band, 0.0)

    def proposal(self, code: str) -> Proposal:
        """The proposal of community ``code``."""
        for p in self.proposals:
            if p.community_code == code:
                return p
        raise AnalysisError(f"no proposal for community {code} / 社区 {code} 无调整方案")

    def with_proposal(self, proposal: Proposal) -> ResizeResult:
        """This result with one proposal replaced (after an edit)."""
        out = tuple(
            proposal if p.community_code == proposal.community_code else p for p in self.proposals
        )
        return replace(self, proposals=out)

    def parts_gdf(self) -> gpd.GeoDataFrame:
        """Every proposed part as a polygon (the communities' CRS): code (provisional), name,
        street, the codes it replaces, status, counts, area, perimeter, compactness,
        anchors, blocks, cut blocks and whether its households are in the band."""
        frames = []
        for p in self.proposals:
            parts = p.parts_gdf()
            parts["status"] = p.status
            parts["code_provisional"] = True
            parts["in_band"] = parts["households"].between(*self.band)
            frames.append(parts)
        crs = frames[0].crs if frames else measuring_crs(self.communities)
        out = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=crs) if frames else None
        if out is None:
            return gpd.GeoDataFrame({"code": []}, geometry=[], crs=self.communities.crs)
        return out.to_crs(self.communities.crs)

    def to_gdf(self) -> gpd.GeoDataFrame:
        """Alias of :meth:`parts_gdf`."""
        return self.parts_gdf()

    def blocks_gdf(self) -> gpd.GeoDataFrame:
        """Every block of the proposals with its ``part_code`` (the communities' CRS)."""
        frames = []
        for p in self.proposals:
            blocks = p.blocks.copy()
            blocks["part_code"] = p.block_parts()
            blocks["proposal"] = p.community_code
            blocks["estimated_fields"] = p.estimated_fields()
            frames.append(blocks)
        if not frames:
            return gpd.GeoDataFrame({"block_id": []}, geometry=[], crs=self.communities.crs)
        out = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)
        return out.to_crs(self.communities.crs)

    def before_after(self) -> pd.DataFrame:
        """Before/after table: per proposal the communities it replaces (``before``) and its
        parts (``after``) with households, population, elderly, area (m²), perimeter (m)
        and compactness (Polsby–Popper)."""
        old = self.communities.set_index("code")
        old = with_shape_measures(old.to_crs(measuring_crs(old)))
        rows = []
        for p in self.proposals:
            before = old.loc[list(p.replaces)].reset_index()
            before["stage"] = "before"
            after = pd.DataFrame(p.parts_gdf().drop(columns="geometry"))
            after["stage"] = "after"
            both = pd.concat([before, after], ignore_index=True)
            both.insert(0, "proposal", p.community_code)
            rows.append(both)
        cols = ["proposal", "stage", "code", "name", *_TABLE]
        if not rows:
            return pd.DataFrame(columns=cols)
        table = pd.concat(rows, ignore_index=True)
        return table.reindex(columns=cols)

    def validation(self) -> pd.DataFrame:
        """One row per proposal: status, parts, whether every part is in the band,
        contiguous and holds an anchor (``None``: no anchor rule), cut blocks, the cost
        (households × m² to the part centres), the best bound and gap (the exact optimum
        for the centres when solved exactly), the LP bound and the cost above it, and the
        reasons."""
        rows = []
        for p in self.proposals:
            plan = p.split.plan
            report = None if plan is None else plan.validate()
            parts = p.parts_gdf()
            rows.append(
                {
                    "proposal": p.community_code,
                    "status": p.status,
                    "parts": p.parts,
                    "households": int(p.blocks["households"].sum()),
                    "band_ok": bool(report and not (report.overloaded or report.underloaded)),
                    "contiguous": bool(report and not report.fragmented),
                    "anchors_ok": _anchors_ok(parts) if p.anchored else None,
                    "cut_blocks": int(p.blocks["cut"].sum()),
                    "cost": p.split.cost,
                    "bound": p.split.bound,
                    "gap": p.split.gap,
                    "lp_bound": p.split.lp_bound,
                    "lp_gap": p.split.lp_gap,
                    "version": p.version,
                    "reasons": "; ".join(p.reasons),
                }
            )
        return pd.DataFrame(rows)

    def explore(self, m: Any = None) -> Any:
        """Old boundaries, proposed parts and blocks on a folium map (a new one without
        tiles, for offline use, unless ``m`` is given)."""
        from geo.communities._draw import draw_result

        return draw_result(self, m=m)

    def summary(self) -> dict[str, Any]:
        """Counts of flags and proposals, the largest gap and the run time."""
        valid = self.validation()
        gaps = valid["gap"].dropna() if len(valid) else pd.Series(dtype=float)
        return {
            "flags": {str(k): int(v) for k, v in self.flags["flag"].value_counts().items()},
            "proposals": len(self.proposals),
            "proposed": int((valid["status"] == "proposed").sum()) if len(valid) else 0,
            "infeasible": int((valid["status"] == "infeasible").sum()) if len(valid) else 0,
            "max_gap": float(gaps.max()) if len(gaps) else 0.0,
            "seconds": self.seconds,
        }

    def accepted(self, codes: Iterable[str] | None = None) -> gpd.GeoDataFrame:
        """The communities layer with the proposals of ``codes`` (default: every proposal
        whose status is ``proposed``) in place of the communities they replace.

        The parts keep the layer's columns (counts summed from their blocks); their
        ``estimated_fields`` name the apportioned counts and the provisional code.

        Raises
        ------
        AnalysisError
            A named proposal is unknown or infeasible.
        """
        chosen = (
            [p for p in self.proposals if p.status == "proposed"]
            if codes is None
            else [self.proposal(c) for c in codes]
        )
        bad = [p.community_code for p in chosen if p.status != "proposed"]
        if bad:
            msg = f"infeasible proposals cannot be accepted: {', '.join(bad)} / 不可行方案不能采纳"
            raise AnalysisError(msg)
        layer = self.communities
        drop = {c for p in chosen for c in p.replaces}
        kept = layer[~layer["code"].isin(drop)]
        new = [_as_layer_rows(p, layer) for p in chosen]
        if not new:
            return layer.copy()
        out = pd.concat([kept, *new], ignore_index=True)
        return gpd.GeoDataFrame(out, geometry=layer.geometry.name, crs=layer.crs)


def _anchors_ok(parts: gpd.GeoDataFrame) -> bool:
    return len(parts) > 0 and bool((parts["anchors"] >= 1).all())


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Each geometry's polygons (a repaired one may also hold a stray line or point)."""
    out = geoms.copy()
    for i in np.flatnonzero(shapely.get_type_id(geoms) == 7):  # GeometryCollection
        parts = shapely.get_parts(geoms[i])
        out[i] = shapely.union_all(parts[np.isin(shapely.get_type_id(parts), (3, 6))])
    return out


def _as_layer_rows(p: Proposal, layer: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The parts of ``p`` as rows of the communities layer."""
    parts = p.parts_gdf().to_crs(layer.crs)
    old = shapely.union_all(layer.loc[layer["code"].isin(p.replaces)].geometry.values)
    # the round trip through the projected CRS moves vertices by ~1e-9 m: put the outer
    # boundary back on the old communities' own vertices, which their neighbours share
    tolerance = _SNAP_DEG if layer.crs is not None and layer.crs.is_geographic else _SNAP_M
    snapped = shapely.snap(parts.geometry.values, old, tolerance=tolerance)
    parts = parts.set_geometry(_polygonal(shapely.make_valid(snapped)), crs=layer.crs)
    counts = set(p.estimated_fields().split(","))
    estimated = ["code", *(c for c in COUNT_COLUMNS if c in counts and c in layer.columns)]
    rows = gpd.GeoDataFrame(
        {
            "code": parts["code"],
            "name": parts["name"],
            "street_code": p.street_code,
            **{c: parts[c].astype(np.int64) for c in COUNT_COLUMNS if c in layer.columns},
        },
        geometry=parts.geometry.values,
        crs=layer.crs,
    )
    if "area_m2" in layer.columns:
        rows["area_m2"] = parts["area_m2"].to_numpy()
    if "source" in layer.columns:
        rows["source"] = f"community resize of {', '.join(p.replaces)} / 社区规模调整"
    if "estimated_fields" in layer.columns:
        rows["estimated_fields"] = ",".join(["geometry", *estimated])
    return rows.rename_geometry(layer.geometry.name) if layer.geometry.name != "geometry" else rows
