"""``mzgis coverage --scheduler ...``: coverage partitioned by district on Dask from the
command line gives the same table as the single-process run (nearest facilities beyond the service
radius are left empty by the partitioned run)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from typer.testing import CliRunner

from api.cli import app
from layers.store import open_store

runner = CliRunner()


def _run(store: Path | str, out: Path, *extra: str) -> pd.DataFrame:
    args = ["coverage", "--facilities", "stations", "--by", "district", *extra]
    result = runner.invoke(app, [*args, "--store", str(store), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "total / 合计" in result.output
    return pd.DataFrame(gpd.read_file(out).drop(columns="geometry"))


@pytest.mark.parametrize(
    "extra",
    [
        ("--tiers", "300,500", "--scheduler", "none"),
        ("--radius", "800", "--mode", "euclidean", "--scheduler", "local", "--workers", "1"),
    ],
)
def test_partitioned_equals_single_run(
    store_copy: Path, tmp_path: Path, extra: tuple[str, ...]
) -> None:
    plain = [a for i, a in enumerate(extra) if "--scheduler" not in extra[max(i - 1, 0) : i + 1]]
    plain = [a for a in plain if a not in ("--workers", "1")]
    single = _run(store_copy, tmp_path / "single.gpkg", *plain)  # every machine column
    split = _run(store_copy, tmp_path / "split.gpkg", *extra)
    assert len(split) == 3
    # the partitioned run looks for the nearest facility within the service radius only
    beyond = ~(single["distance_m"] <= float(extra[1].split(",")[-1]))
    assert split.loc[beyond, "distance_m"].isna().all()
    same = ["facility_id", "distance_m"]
    kept = split.columns.difference(same)
    pd.testing.assert_frame_equal(single[kept], split[kept])
    within = single.loc[~beyond, same].astype({"facility_id": str})
    pd.testing.assert_frame_equal(within, split.loc[~beyond, same].astype({"facility_id": str}))


def test_unknown_scheduler_exits_1(store_copy: Path) -> None:
    args = ["coverage", "--facilities", "stations", "--scheduler", "yarn"]
    result = runner.invoke(app, [*args, "--store", str(store_copy)])
    assert result.exit_code == 1, result.output
    assert "unknown scheduler" in result.output and "未知的调度器" in result.output


def test_network_pieces_written_once_beside_the_store(store_copy: Path, tmp_path: Path) -> None:
    """Walking coverage on a local cluster writes the districts' pieces beside the store
    once; a second run reads the same files; ``--pieces-dir`` puts them elsewhere."""
    tiers = ("--tiers", "300,500")
    single = _run(store_copy, tmp_path / "single.gpkg", *tiers)
    local = ("--scheduler", "local", "--workers", "1")
    split = _run(store_copy, tmp_path / "split.gpkg", *tiers, *local)
    pieces = store_copy.with_name(f"{store_copy.stem}.pieces")
    (key,) = [p for p in pieces.iterdir() if p.is_dir()]
    written = {p.name: p.stat().st_mtime_ns for p in key.iterdir() if p.suffix != ".json"}
    districts = split["code"].astype(str).str[:6].nunique()
    assert len(written) == 2 * districts  # a piece of network and the points per district
    again = _run(store_copy, tmp_path / "again.gpkg", *tiers, *local)
    assert {p.name: p.stat().st_mtime_ns for p in key.iterdir() if p.suffix != ".json"} == (written)
    assert [p for p in pieces.iterdir() if p.is_dir()] == [key]
    within = single["distance_m"] <= 500
    for got in (split, again):
        left, right = (f[within].astype({"facility_id": str}) for f in (single, got))
        pd.testing.assert_frame_equal(left, right)
    elsewhere = tmp_path / "shared"
    _run(store_copy, tmp_path / "other.gpkg", *tiers, *local, "--pieces-dir", str(elsewhere))
    assert (next(elsewhere.iterdir()) / "manifest.json").is_file()


def test_network_pieces_kept_in_a_postgis_store(
    store_copy: Path, tmp_path: Path, pg_url: str
) -> None:
    """On a PostGIS store the pieces are kept in the store (its artifacts), where the
    workers read them; the answer equals the single run."""
    copied = runner.invoke(app, ["store", "copy", str(store_copy), pg_url])
    assert copied.exit_code == 0, copied.output
    tiers = ("--tiers", "300,500")
    single = _run(pg_url, tmp_path / "single.gpkg", *tiers)
    split = _run(pg_url, tmp_path / "split.gpkg", *tiers, "--scheduler", "local")
    within = single["distance_m"] <= 500
    left, right = (f[within].astype({"facility_id": str}) for f in (single, split))
    pd.testing.assert_frame_equal(left, right)
    opened = open_store(pg_url)
    try:
        assert opened.artifact_info("district_piece.000") is not None
    finally:
        opened.close()
