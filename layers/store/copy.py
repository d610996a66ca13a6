"""Copy layers from one store to another (GeoPackage ↔ PostGIS), losing nothing.

Each layer is read whole from the source and written whole to the target (one atomic
write per layer, no re-validation: stored layers are valid), keeping its name, kind, every
column and every geometry. The copy checks each target count against the source.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from layers._errors import ConflictError, StoreError, UnknownLayerError
from layers.store.base import Store

__all__ = ["CopyResult", "copy_store"]


@dataclass(frozen=True)
class CopyResult:
    """What a copy wrote: features per layer, and each layer's new version in the target."""

    counts: dict[str, int] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)


def copy_store(
    source: Store,
    target: Store,
    *,
    names: Sequence[str] | None = None,
    replace: bool = False,
    progress: Callable[[str], None] | None = None,
) -> CopyResult:
    """Copy layers of ``source`` into ``target``.

    Parameters
    ----------
    source, target
        Open stores of either backend (not the same store).
    names
        The layers to copy; default every layer of ``source``.
    replace
        Replace target layers of the same name; otherwise any such layer refuses the
        whole copy before anything is written.
    progress
        Called with a bilingual message after each layer.

    Returns
    -------
    CopyResult
        Features copied and the target version of each layer.

    Raises
    ------
    UnknownLayerError
        A name that ``source`` does not hold.
    ConflictError
        ``target`` already holds one of the layers and ``replace`` is false, or the two
        stores are the same.
    StoreError
        A layer could not be written, or its target count differs from the source's.
    """
    if source.url == target.url:
        msg = f"source and target are the same store ({source.url}) / 源与目标是同一个存储"
        raise ConflictError(msg)
    infos = {info.name: info for info in source.layers()}
    chosen = list(infos) if names is None else list(names)
    for name in chosen:
        if name not in infos:
            raise UnknownLayerError(name, list(infos))
    present = {info.name for info in target.layers()}
    clash = sorted(set(chosen) & present)
    if clash and not replace:
        msg = (
            f"the target already has layers {', '.join(clash)} (use replace)"
            f" / 目标存储已有图层 {', '.join(clash)}（可选择替换）"
        )
        raise ConflictError(msg)
    result = CopyResult()
    for name in chosen:
        frame = source.read(name)
        written = target.write(name, frame, kind=infos[name].kind)
        if written.count != len(frame):
            msg = (
                f"layer {name!r}: {len(frame)} features read, "
                f"{written.count} written / 图层 {name!r} 复制后要素数不一致"
            )
            raise StoreError(msg)
        result.counts[name] = written.count
        result.versions[name] = written.version
        if progress is not None:
            progress(f"{name}: {written.count} features / {name}：{written.count} 个要素")
    return result
