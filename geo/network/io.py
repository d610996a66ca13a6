"""Save and load a :class:`~geo.network.graph.Network` as one ``.npz`` file (no pickle).

The file sits beside the store (``demo.gpkg`` → ``demo.network.npz``) and holds every
array of the network uncompressed, so it reloads in a fraction of a second. The same
content as bytes (:func:`network_to_bytes`, :func:`network_from_bytes`) is what a store
keeps as an artifact.
"""

from __future__ import annotations

import io
import json
import zipfile
from os import PathLike
from pathlib import Path
from typing import IO, Any

import numpy as np

from geo._errors import NetworkError
from geo.network.graph import BuildReport, Network

__all__ = [
    "FORMAT_VERSION",
    "load_network",
    "network_from_bytes",
    "network_path_for",
    "network_to_bytes",
    "save_network",
]

FORMAT_VERSION = 1
_ARRAYS = (
    "node_xy",
    "node_ids",
    "edge_u",
    "edge_v",
    "edge_length_m",
    "edge_forward",
    "edge_backward",
    "edge_highway",
    "edge_name",
    "geom_offsets",
    "geom_xy",
    "indptr",
    "indices",
    "weights",
)


def network_path_for(store_path: str | PathLike[str]) -> Path:
    """Where the network of a store file lives: ``demo.gpkg`` → ``demo.network.npz``."""
    path = Path(store_path)
    return path.with_name(f"{path.stem}.network.npz")


def save_network(network: Network, path: str | PathLike[str]) -> Path:
    """Write ``network`` to ``path`` (``.npz``; the suffix is added if missing).

    Returns
    -------
    pathlib.Path
        The file written.
    """
    target = Path(path)
    if target.suffix != ".npz":
        target = target.with_name(target.name + ".npz")
    tmp = target.with_name(target.name + ".tmp.npz")
    _write(network, tmp)
    tmp.replace(target)
    return target


def network_to_bytes(network: Network) -> bytes:
    """``network`` as the bytes of a network file (what :func:`save_network` writes)."""
    buffer = io.BytesIO()
    _write(network, buffer)
    return buffer.getvalue()


def _write(network: Network, file: str | PathLike[str] | IO[bytes]) -> None:
    arrays = {name: getattr(network, name) for name in _ARRAYS}
    np.savez(
        file,
        format_version=np.int64(FORMAT_VERSION),
        crs=np.str_(network.crs),
        report=np.str_(json.dumps(network.report.to_dict(), ensure_ascii=False)),
        **arrays,
    )


def load_network(path: str | PathLike[str]) -> Network:
    """Read a network written by :func:`save_network`.

    Raises
    ------
    NetworkError
        If the file is missing, not a network file, or of another format version.
    """
    source = Path(path)
    if not source.is_file():
        msg = f"no network file at {source.name} / 找不到路网文件 {source.name}"
        raise NetworkError(msg)
    return _read(source, source.name)


def network_from_bytes(data: bytes, *, label: str = "network bytes") -> Network:
    """Read a network from the bytes :func:`network_to_bytes` gave.

    Parameters
    ----------
    data
        The bytes of a network file.
    label
        What to call the bytes in an error message.

    Raises
    ------
    NetworkError
        If the bytes are not a network file, or of another format version.
    """
    return _read(io.BytesIO(data), label)


def _read(file: Any, label: str) -> Network:
    try:
        with np.load(file, allow_pickle=False) as data:
            version = int(data["format_version"])
            if version != FORMAT_VERSION:
                msg = f"network file version {version}, expected {FORMAT_VERSION}"
                raise NetworkError(f"{msg} / 路网文件版本不符")
            arrays = {name: data[name] for name in _ARRAYS}
            crs = str(data["crs"])
            report = BuildReport.from_dict(json.loads(str(data["report"])))
    except NetworkError:
        raise
    except (KeyError, ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        msg = f"not a network file: {label} ({exc}) / 不是路网文件"
        raise NetworkError(msg) from exc
    return Network(crs=crs, report=report, **arrays)
