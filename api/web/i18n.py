"""Every word the web pages show, in Chinese (first) and English.

The language of a page comes from ``?lang=`` when given, else the ``mzgis_lang`` cookie set
by the 中文 / English toggle (``GET /lang/{code}``), else the service's ``MZGIS_LANG``.
Templates call ``t("key")``; page scripts read the labels they need from a
``<script type="application/json" id="labels">`` block (data, not code).
"""

from __future__ import annotations

from starlette.requests import Request

from api.maps.i18n import LANGS, Lang, parse_lang

__all__ = ["LABELS", "LANGS", "LANG_COOKIE", "ROLE_LABELS", "Lang", "label", "request_lang"]

LANG_COOKIE = "mzgis_lang"

ROLE_LABELS: dict[str, tuple[str, str]] = {
    "admin": ("管理员", "administrator"),
    "planner": ("规划人员", "planner"),
    "inspector": ("联检人员", "inspector"),
    "viewer": ("查看人员", "viewer"),
}

LABELS: dict[str, tuple[str, str]] = {
    # layout
    "brand": ("民政设施规划", "Civil-affairs planning"),
    "skip": ("跳到正文", "Skip to content"),
    "nav": ("主导航", "Main navigation"),
    "nav_home": ("首页", "Home"),
    "nav_maps": ("地图", "Maps"),
    "nav_layers": ("图层", "Layers"),
    "nav_zones": ("责任片区", "Zones"),
    "nav_docs": ("接口文档", "API docs"),
    "language": ("语言", "Language"),
    "signin": ("登录", "Sign in"),
    "signout": ("退出登录", "Sign out"),
    "signed_in_as": ("当前用户", "Signed in as"),
    "footer": (
        "mzgis · 离线运行，不加载任何外部资源",
        "mzgis · runs offline, loads nothing from outside",
    ),
    # home
    "home_title": ("民政设施规划与覆盖分析", "Civil-affairs facility planning and coverage"),
    "home_lead": (
        "养老驿站、助餐点、避难场所的覆盖与选址，责任片区划分，界线联检。选择要做的事：",
        "Coverage and siting of elderly-care stations, meal points and shelters, "
        "responsibility zones, boundary inspection. Choose what to do:",
    ),
    "jobs": ("可以做的事", "What you can do"),
    "job_maps": ("地图", "Maps"),
    "job_maps_text": (
        "在地图上查看全部图层、覆盖、选址、片区与联检进度。",
        "See every layer, coverage, siting, zones and inspection progress on maps.",
    ),
    "job_layers": ("图层", "Layers"),
    "job_layers_text": (
        "按图层查看表格与地图；规划人员可导入文件、修改属性。",
        "A table and a map per layer; planners import files and edit attributes.",
    ),
    "job_coverage": ("覆盖分析", "Coverage"),
    "job_coverage_text": (
        "哪些社区在驿站、助餐点步行范围内，缺口在哪里。",
        "Which communities are within walking reach of stations and meal points, and the gaps.",
    ),
    "job_siting": ("设施选址", "Siting"),
    "job_siting_text": (
        "新增设施放在哪里能覆盖最多老年人。",
        "Where new facilities would reach the most elderly people.",
    ),
    "job_zones": ("责任片区", "Responsibility zones"),
    "job_zones_text": (
        "每个社区由哪个驿站负责；移动、锁定社区并查看影响。",
        "Which station serves each community; move or lock communities and see the effect.",
    ),
    "job_inspection": ("界线联检", "Boundary inspection"),
    "job_inspection_text": (
        "界桩状况与联检批次进度（需登录）。",
        "Boundary markers' condition and campaign progress (sign-in needed).",
    ),
    "job_docs": ("接口文档", "API documentation"),
    "job_docs_text": (
        "供程序对接的接口说明（离线可用）。",
        "The HTTP API for programs (works offline).",
    ),
    "store": ("数据概况", "The data"),
    "store_file": ("数据存储", "Store"),
    "layer": ("图层", "Layer"),
    "kind": ("类型", "Kind"),
    "count": ("要素数", "Features"),
    "updated": ("更新时间", "Updated"),
    "version": ("版本", "Version"),
    "vintage": ("数据时间", "Data as of"),
    "vintage_text": ("最早 {oldest}，最近 {newest}", "oldest {oldest}, newest {newest}"),
    "estimated_notice": (
        "注意：部分数值（人口、容量等，见各要素的“估算字段”）为演示估算，不是官方数据。",
        "Note: some values (population, capacity, …, listed in each feature's "
        "“estimated fields”) are demo estimates, not official data.",
    ),
    "estimated_col": ("估算数据", "Estimated data"),
    "estimated_yes": ("含估算值", "has estimates"),
    "no_layers": ("数据存储中还没有图层。", "The store holds no layers yet."),
    # the map pages (/maps): a line for each
    "map_layers": (
        "全部图层：驿站、助餐点、避难场所、区划与道路。",
        "Every layer: stations, meal points, shelters, divisions and roads.",
    ),
    "map_coverage": (
        "社区按步行可达比例着色，显示服务范围与缺口。",
        "Communities shaded by the share within walking reach, service areas and gaps.",
    ),
    "map_siting": (
        "新增设施的建议位置及其新增覆盖。",
        "Suggested sites for new facilities and the coverage each adds.",
    ),
    "map_zones": (
        "各驿站负责的社区（只读地图；调整请用“责任片区”）。",
        "Which station serves each community (read-only; edit in “Zones”).",
    ),
    "map_inspection": (
        "界桩最新状况与联检进度（需登录）。",
        "Markers by latest condition and campaign progress (sign-in needed).",
    ),
    "map_network": (
        "步行路网的连通情况与疑似缺失的道路。",
        "How well the walking network connects, and roads that seem to be missing.",
    ),
    "map_communities": (
        "规模过大的社区及其拆分、调整方案。",
        "Communities over the size limits and the proposals to split or resize them.",
    ),
    # sign-in
    "signin_title": ("登录", "Sign in"),
    "username": ("用户名", "Username"),
    "password": ("密码", "Password"),
    "signin_button": ("登录", "Sign in"),
    "signin_failed": ("用户名或密码错误。", "Wrong username or password."),
    "signin_throttled": (
        "该用户名登录失败次数过多，请几分钟后再试。",
        "Too many failed sign-ins for this username; try again in a few minutes.",
    ),
    "signin_expired": (
        "页面已过期，请重新提交。",
        "The page expired; please submit again.",
    ),
    "signin_needed": ("请先登录以打开该页面。", "Please sign in to open that page."),
    "signed_out": ("已退出登录。", "You are signed out."),
    # errors
    "forbidden_title": ("无权访问", "Not allowed"),
    "forbidden_text": (
        "该页面需要以下角色之一：{roles}。您当前以 {name}（{role}）登录。",
        "This page needs one of these roles: {roles}. You are signed in as {name} ({role}).",
    ),
    "forbidden_ask": (
        "如需使用，请联系管理员调整您的角色，或换一个账号登录。",
        "Ask an administrator to change your role, or sign in with another account.",
    ),
    "error_title": ("出错了", "Something went wrong"),
    "back_home": ("返回首页", "Back to the home page"),
    "signin_other": ("换一个账号登录", "Sign in with another account"),
}


def label(key: str, lang: Lang) -> str:
    """The label ``key`` in ``lang``."""
    zh, en = LABELS[key]
    return zh if lang == "zh" else en


def request_lang(request: Request, *, default: Lang = "zh") -> Lang:
    """The language of a page: ``?lang=``, else the toggle's cookie, else ``default``."""
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return parse_lang(asked, default=default)
