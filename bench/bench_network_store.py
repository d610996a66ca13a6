"""Where the walking network is kept between runs: a file beside a GeoPackage store, or
the store's own ``mzgis_artifacts`` table (GeoPackage or PostGIS); time to save and load.

The anchor is the ``.npz`` file beside the store (``geo.network.save_network`` /
``load_network``, what a GeoPackage store uses). The artifact runs save and load the same
bytes through ``Store.put_artifact`` / ``Store.get_artifact`` and ``network_to_bytes`` /
``network_from_bytes`` (what a PostGIS store uses). Every load is checked equal to the
network saved. Inputs: the demo's walking network (``data/raw/beijing_walk_network``) and
a synthetic street grid (``--grid-nodes``). PostGIS runs when ``--postgis URL`` is given
(in a schema of its own, dropped at the end).

Run: ``.venv/bin/python bench/bench_network_store.py [--postgis postgresql://...]`` (full)
or ``--smoke`` (a small sub-network, GeoPackage only).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import uuid
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_city import grid_network  # noqa: E402
from bench.bench_network import best_of, demo_network, sub_network  # noqa: E402
from geo.network import (  # noqa: E402
    Network,
    load_network,
    network_from_bytes,
    network_to_bytes,
    save_network,
)
from geo.network.io import _ARRAYS  # noqa: E402
from layers.store import Store, open_store  # noqa: E402

NAME = "walking_network"


def same(a: Network, b: Network) -> bool:
    return all(np.array_equal(getattr(a, k), getattr(b, k)) for k in _ARRAYS)


def time_file(net: Network, folder: Path, repeat: int) -> dict[str, float]:
    """The anchor: the ``.npz`` file beside the store."""
    path, save_s = best_of(repeat, lambda: save_network(net, folder / "x.network.npz"))
    loaded, load_s = best_of(repeat, lambda: load_network(path))
    assert same(net, loaded), "file: the loaded network differs"
    return {"save_s": save_s, "load_s": load_s, "mb": path.stat().st_size / 2**20}


def time_store(net: Network, store: Store, repeat: int) -> dict[str, float]:
    """Bytes made, put in and read back from the store's artifact table."""
    _, save_s = best_of(
        repeat, lambda: store.put_artifact(NAME, network_to_bytes(net), key="bench")
    )

    def load() -> Network:
        data = store.get_artifact(NAME, key="bench")
        assert data is not None
        return network_from_bytes(data)

    loaded, load_s = best_of(repeat, load)
    assert same(net, loaded), f"{store.url}: the loaded network differs"
    return {"save_s": save_s, "load_s": load_s}


def measure(net: Network, *, postgis: str | None, repeat: int) -> dict[str, dict[str, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        out = {"file": time_file(net, folder, repeat)}
        gpkg = open_store(folder / "x.gpkg")
        out["geopackage table"] = time_store(net, gpkg, repeat)
        gpkg.close()
    if postgis is not None:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        sep = "&" if "?" in postgis else "?"
        pg = open_store(f"{postgis}{sep}schema={schema}")
        try:
            out["postgis table"] = time_store(net, pg, repeat)
        finally:
            with pg.pool.connection() as con:  # type: ignore[attr-defined]
                con.execute(f"DROP SCHEMA {schema} CASCADE")
            pg.close()
    return out


def report(label: str, net: Network, fig: dict[str, dict[str, float]]) -> None:
    anchor = fig["file"]
    print(
        f"\n{label}: {net.n_nodes:,} nodes, {net.n_edges:,} segments, "
        f"{anchor['mb']:.1f} MB as a file"
    )
    for where, t in fig.items():
        ratio = t["load_s"] / anchor["load_s"]
        print(
            f"  {where:17} save {t['save_s'] * 1000:8.1f} ms   load {t['load_s'] * 1000:8.1f} ms"
            f"   ({ratio:.1f}x the file's load time)"
        )


def main(argv: list[str] | None = None) -> dict[str, dict[str, float]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgis", help="a postgresql:// URL to measure PostGIS too")
    parser.add_argument("--grid-nodes", type=int, default=250_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args(argv)
    demo = demo_network()
    if args.smoke:
        demo = sub_network(demo, 500)
    inputs = [("demo walking network", demo)]
    if not args.smoke:
        side = round(float(np.sqrt(args.grid_nodes)))
        inputs.append((f"street grid {side} x {side}", grid_network(side, 30.0, seed=1)))
    figures: dict[str, dict[str, float]] = {}
    for label, net in inputs:
        fig = measure(net, postgis=args.postgis, repeat=args.repeat)
        report(label, net, fig)
        figures.update({f"{label}: {where}": t for where, t in fig.items()})
    print(f"\n(best of {args.repeat} runs; load average {os.getloadavg()[0]:.1f})")
    return figures


if __name__ == "__main__":
    main()
