"""Copy layers from one store to another (GeoPackage ↔ PostGIS), losing nothing.

Each layer is read whole from the source and written whole to the target (one atomic
write per layer, no re-validation: stored layers are valid), keeping its name, kind, every
column and every geometry, together with its lineage (:mod:`layers.store.lineage`): its
version, time, history and the kept data of earlier versions, so that ``layers history``
and ``layers restore`` work on the copy as on the source. A layer that replaces one the
target already holds cannot take its history along (the target's own history is never
dropped): it becomes a new version on top of the target's, and the result names it. A copy
of a whole store also brings the history of deleted layers and the artifacts the target
lacks. The copy checks each target count and each carried lineage against the source.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from layers._errors import ConflictError, StoreError, UnknownLayerError
from layers.store.base import Lineage, Store

__all__ = ["CARRIED_TABLES", "CopyResult", "copy_store"]

#: the store's own tables besides the layers that a copy carries (records: see
#: :mod:`layers.records.copy`)
CARRIED_TABLES = ("mzgis_layers", "mzgis_layers_history", "mzgis_layer_versions", "mzgis_artifacts")


@dataclass(frozen=True)
class CopyResult:
    """What a copy wrote: features per layer, each layer's version in the target, the
    digest of each lineage carried (deleted layers' too), the layers whose history stayed
    behind (the target had its own) and the artifacts copied."""

    counts: dict[str, int] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    lineages: dict[str, str] = field(default_factory=dict)
    history_left: list[str] = field(default_factory=list)
    artifacts: list[str] = field(default_factory=list)


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
    result, histories = CopyResult(), set(target.lineage_names())
    for name in chosen:
        frame = source.read(name)
        lineage = None if name in histories else source.lineage(name)
        written = target.write(name, frame, kind=infos[name].kind, lineage=lineage)
        if written.count != len(frame):
            msg = (
                f"layer {name!r}: {len(frame)} features read, "
                f"{written.count} written / 图层 {name!r} 复制后要素数不一致"
            )
            raise StoreError(msg)
        result.counts[name] = written.count
        result.versions[name] = written.version
        if lineage is None:
            result.history_left.append(name)
        else:
            result.lineages[name] = _carried(target, lineage)
        if progress is not None:
            progress(f"{name}: {written.count} features / {name}：{written.count} 个要素")
    if names is None:
        _copy_the_rest(source, target, result, skip=histories | set(chosen))
    return result


def _carried(target: Store, lineage: Lineage) -> str:
    """The digest of a lineage after checking the target now holds the same one."""
    digest = lineage.digest()
    if target.lineage(lineage.name).digest() != digest:
        msg = (
            f"layer {lineage.name!r}: the copied history differs from the source's"
            f" / 图层 {lineage.name!r} 复制后的版本历史与源不一致"
        )
        raise StoreError(msg)
    return digest


def _copy_the_rest(source: Store, target: Store, result: CopyResult, *, skip: set[str]) -> None:
    """The histories of deleted layers and the artifacts the target lacks."""
    for name in source.lineage_names():
        if name not in skip:
            lineage = source.lineage(name)
            target.keep_lineage(lineage)
            result.lineages[name] = _carried(target, lineage)
    for info in source.artifacts():
        data = source.get_artifact(info.name, key=info.key)
        if data is not None and target.artifact_info(info.name) is None:
            target.put_artifact(info.name, data, key=info.key)
            result.artifacts.append(info.name)
