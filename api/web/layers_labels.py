"""The words of the layers pages (``/layers``, ``/layers/{name}``, ``/layers/import``), in
Chinese and English: the templates use them through ``t()``-like lookups, the page scripts
through the page's JSON labels block."""

from __future__ import annotations

__all__ = ["LAYERS_LABELS"]

LAYERS_LABELS: dict[str, tuple[str, str]] = {
    "layers_title": ("图层", "Layers"),
    "layers_lead": (
        "每个图层的表格与地图。规划人员可以导入文件。",
        "A table and a map for every layer. Planners can import files.",
    ),
    "layer": ("图层", "Layer"),
    "kind": ("类型", "Kind"),
    "count": ("要素数", "Features"),
    "version": ("版本", "Version"),
    "updated": ("更新时间", "Updated"),
    "import": ("导入文件", "Import a file"),
    "open_map": ("在地图上查看全部图层", "All layers on a map"),
    "search": ("搜索", "Search"),
    "search_hint": ("在所有文字字段中查找", "Looks in every text field"),
    "rows_of": ("第 {a}–{b} 条，共 {n} 条", "{a}–{b} of {n}"),
    "matching": ("（筛选自 {n} 条）", " (filtered from {n})"),
    "prev": ("上一页", "Previous"),
    "next": ("下一页", "Next"),
    "sort_by": ("按此列排序", "Sort by this column"),
    "no_rows": ("没有符合条件的要素。", "No feature matches."),
    "map": ("地图", "Map"),
    "map_note": (
        "地图显示本页的要素；点击表格行可在地图上定位。",
        "The map shows this page's features; click a row to find it on the map.",
    ),
    "estimated": ("估算", "estimated"),
    "loading": ("正在载入……", "Loading…"),
    "error": ("出错了：", "Something went wrong: "),
    # editing a feature (planners, editable layers)
    "edit_title": ("修改要素 {id}", "Edit feature {id}"),
    "edit_save": ("保存修改", "Save changes"),
    "edit_saved": ("✓ 已保存。", "✓ Saved."),
    "edit_nothing": ("没有修改。", "Nothing changed."),
    "edit_drag": ("拖动地图上的标记可修改位置。", "Drag the marker on the map to move the point."),
    "edit_moved": (
        "位置已移动到 {lon}, {lat}（尚未保存）",
        "Moved to {lon}, {lat} (not saved yet)",
    ),
    "edit_conflict": (
        "保存前已有其他人修改了该要素：已载入最新内容，您改过的值仍保留，请检查后再保存。",
        "Someone changed this feature before you saved: the latest is loaded, the values you "
        "changed are kept; check them and save again.",
    ),
    # import
    "import_title": ("导入文件为图层", "Import a file as a layer"),
    "import_lead": (
        "支持 XLSX、CSV、GeoJSON、GeoPackage 与 Shapefile（zip）。先预览，再导入；"
        "有错误的行会逐行列出，整个文件不会导入。",
        "XLSX, CSV, GeoJSON, GeoPackage and zipped Shapefile. Preview first, then import; "
        "bad rows are listed one by one and nothing is imported.",
    ),
    "file": ("文件", "File"),
    "upload": ("上传并预览", "Upload and preview"),
    "preview": ("前 {n} 行预览（共 {total} 行）", "The first {n} rows (of {total})"),
    "target": ("导入到", "Import into"),
    "layer_name": ("图层名", "Layer name"),
    "layer_kind": ("图层类型", "Layer kind"),
    "crs": ("坐标系", "Coordinate system"),
    "crs_wgs84": ("WGS84（GPS、EPSG:4326）", "WGS84 (GPS, EPSG:4326)"),
    "crs_cgcs2000": ("CGCS2000（EPSG:4490）", "CGCS2000 (EPSG:4490)"),
    "crs_gcj02": ("GCJ-02（高德、腾讯地图上取的点）", "GCJ-02 (points copied from AMap, Tencent)"),
    "crs_bd09": ("BD-09（百度地图上取的点）", "BD-09 (points copied from Baidu)"),
    "crs_file": ("按文件自身坐标系", "As the file says"),
    "mapping": ("字段对应", "Column mapping"),
    "mapping_hint": (
        "为图层的每个字段选择文件中的列（同名列已自动选好）。",
        "For each field of the layer choose the file's column (same names are chosen).",
    ),
    "field": ("图层字段", "Layer field"),
    "column": ("文件列", "File column"),
    "required": ("必填", "required"),
    "not_mapped": ("（不导入）", "(none)"),
    "coords": ("坐标列", "Coordinate columns"),
    "lon": ("经度列", "Longitude column"),
    "lat": ("纬度列", "Latitude column"),
    "auto": ("自动识别", "Detect"),
    "mode": ("导入方式", "How to import"),
    "mode_new": ("新建图层", "A new layer"),
    "mode_append": (
        "追加到现有图层（编号须为新编号）",
        "Append to the existing layer (ids must be new)",
    ),
    "mode_upsert": (
        "按编号更新现有图层，其余追加",
        "Update the existing layer by id, add the rest",
    ),
    "mode_replace": ("替换现有图层", "Replace the existing layer"),
    "mode_kept": (
        "每次导入都会保留图层的上一版本，可以恢复。",
        "Every import keeps the layer's previous version, which can be restored.",
    ),
    "replace_confirm": (
        "我确认替换：图层 {name} 现有 {existing} 个要素中的 {n} 个将被删除（编号：{ids}）。",
        "I confirm: {n} of the {existing} features of layer {name} will be dropped (ids: {ids}).",
    ),
    "do_import": ("校验并导入", "Check and import"),
    "imported": ("已导入 {n} 个要素到图层 {name}。", "Imported {n} features into layer {name}."),
    "open_layer": ("查看图层", "Open the layer"),
    "problems": (
        "文件有 {n} 处问题，未导入任何数据：",
        "The file has {n} problems; nothing was imported:",
    ),
    "row": ("行", "Row"),
    "excel_row": ("Excel 行号", "Excel row"),
    "feature_no": ("要素序号", "Feature no."),
    "value": ("值", "Value"),
    "reason": ("原因", "Reason"),
    "warnings": ("提示", "Warnings"),
    "exists": (
        "图层 {name} 已存在（{n} 个要素）。请选择追加、按编号更新或替换，或换一个图层名。",
        "Layer {name} exists ({n} features). Choose append, update by id or replace, or "
        "another name.",
    ),
    "confirm_first": (
        "替换会删除要素：请先阅读并勾选确认，再导入。",
        "Replacing drops features: read and tick the confirmation, then import.",
    ),
    "imported_version": ("（图层版本 {v}）", " (layer version {v})"),
}
