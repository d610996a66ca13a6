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
    "mode_replace": (
        "替换现有图层（原有要素全部删除）",
        "Replace the existing layer (every feature now in it is dropped)",
    ),
    "mode_waits": (
        "追加、按编号更新：待图层版本功能上线后提供。",
        "Append and update by id: coming with layer versions.",
    ),
    "replace_confirm": (
        "我确认替换：图层 {name} 现有的 {n} 个要素将被删除。",
        "I confirm: the {n} features now in layer {name} will be dropped.",
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
        "图层 {name} 已存在（{n} 个要素）。请选择“替换”并确认，或换一个图层名。",
        "Layer {name} exists ({n} features). Choose “replace” and confirm, or another name.",
    ),
}
