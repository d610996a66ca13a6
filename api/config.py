"""Service configuration: one :class:`Settings`, read from ``MZGIS_*`` environment variables.

Configuration enters here, at the edge; ``layers`` and ``geo`` never read the environment.

========================  ==========================================================
``MZGIS_STORE``           a ``.gpkg`` path or a ``postgresql://`` URL (default: demo)
``MZGIS_HOST``            address to serve on (default ``127.0.0.1``)
``MZGIS_PORT``            port to serve on (default ``8000``)
``MZGIS_LANG``            ``zh`` (default) or ``en``: the language shown first in maps
``MZGIS_TILE_URL``        an intranet XYZ basemap, e.g. ``http://gis.local/{z}/{x}/{y}.png``
``MZGIS_TILE_ATTRIBUTION`` the attribution shown with that basemap
``MZGIS_FIELD_PHOTO_MAX_PX``  the field app resizes photos on the phone to this longer side
                          (default 1600 px); ``MZGIS_FIELD_PHOTO_QUALITY`` its JPEG quality
``MZGIS_PUBLIC_READ``     ``true`` (default): anyone may read the layers (``/collections``),
                          the map pages (``/maps``) and the analyses without signing in;
                          ``false``: only signed-in users whose role may read
                          (:func:`api.auth.read_access`). Inspection records always need it.
``MZGIS_TILED_MIN_FEATURES`` layers larger than this (default 20,000) are drawn on the map
                          pages from vector tiles instead of being sent whole
``MZGIS_MAX_JSON_BYTES``  largest JSON request body (default 4 MiB; 413 beyond it)
``MZGIS_MAX_UPLOAD_BYTES`` largest other request body, e.g. a file upload (default 32 MiB)
``MZGIS_SIGNIN_MAX_FAILURES``  failed sign-ins of one user name before 429 (default 5)
``MZGIS_SIGNIN_MAX_ADDRESS_FAILURES``  … of one client address (default 20)
``MZGIS_SIGNIN_WINDOW_S``  the window they are counted in, seconds (default 900)
========================  ==========================================================
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "default_store", "is_default_store"]

#: where the demo store lives when ``layers.demo`` cannot say (its own default, kept in sync)
_FALLBACK_DEMO_STORE = Path(__file__).resolve().parents[1] / "data" / "demo.gpkg"


def default_store() -> Path:
    """The path of the embedded demo store (``layers.demo.DEFAULT_STORE``)."""
    try:
        from layers.demo import DEFAULT_STORE
    except ImportError:
        return _FALLBACK_DEMO_STORE
    return Path(DEFAULT_STORE)


def is_default_store(location: str | Path) -> bool:
    """Whether ``location`` names the demo store (which is built on first use)."""
    text = str(location)
    if "://" in text:
        return False
    return Path(text).expanduser().resolve() == default_store().resolve()


class Settings(BaseSettings):
    """Everything the service and the CLI can be configured with."""

    model_config = SettingsConfigDict(env_prefix="MZGIS_", extra="ignore")

    store: str = Field(
        default_factory=lambda: str(default_store()),
        description="A .gpkg path or a postgresql:// URL / GeoPackage 文件路径或 PostGIS 地址",
    )
    host: str = Field(default="127.0.0.1", description="Address to serve on / 服务地址")
    port: int = Field(default=8000, ge=1, le=65535, description="Port to serve on / 服务端口")
    lang: Literal["zh", "en"] = Field(default="zh", description="Language shown first / 首选语言")
    tile_url: str | None = Field(
        default=None, description="Intranet XYZ basemap URL / 内网底图瓦片地址 ({z}/{x}/{y})"
    )
    tile_attribution: str | None = Field(
        default=None, description="Attribution of the basemap / 底图版权说明"
    )
    tiled_min_features: int = Field(
        default=20_000,
        ge=0,
        description="Larger layers are drawn from vector tiles / 更大的图层以矢量瓦片绘制",
    )

    layer_versions_kept: int = Field(
        default=20,
        ge=1,
        description=(
            "Replaced versions of each layer whose data is kept for restore"
            " / 每个图层保留可恢复的历史版本数"
        ),
    )
    public_read: bool = Field(
        default=True,
        description=(
            "Anyone may read layers, maps and analyses without signing in"
            " / 无需登录即可查看图层、地图与分析结果"
        ),
    )

    max_json_bytes: int = Field(
        default=4 * 1024 * 1024,
        ge=1024,
        description="Largest JSON request body, bytes / JSON 请求体上限（字节）",
    )
    max_upload_bytes: int = Field(
        default=32 * 1024 * 1024,
        ge=1024,
        description="Largest other request body (uploads), bytes / 上传请求体上限（字节）",
    )

    signin_max_failures: int = Field(
        default=5,
        ge=1,
        description="Failed sign-ins per user before 429 / 每个用户允许的失败登录次数",
    )
    signin_max_address_failures: int = Field(
        default=20,
        ge=1,
        description="Failed sign-ins per address before 429 / 每个地址允许的失败登录次数",
    )
    signin_window_s: float = Field(
        default=900.0, gt=0, description="Window of failed sign-ins, s / 失败登录计数窗口（秒）"
    )
    field_photo_max_px: int = Field(
        default=1600,
        ge=320,
        le=8000,
        description="Longer side of photos resized on the phone, px / 外业照片压缩后的长边像素",
    )
    field_photo_quality: float = Field(
        default=0.85, gt=0.1, le=1.0, description="JPEG quality of resized photos / 照片压缩质量"
    )

    @field_validator("store", mode="before")
    @classmethod
    def _store_text(cls, value: object) -> str:
        return str(value)

    @field_validator("tile_url")
    @classmethod
    def _tile_template(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not all(k in value for k in ("{z}", "{x}", "{y}")):
            msg = "tile_url must contain {z}, {x} and {y} / 底图地址必须包含 {z}、{x}、{y}"
            raise ValueError(msg)
        return value

    @property
    def uses_demo_store(self) -> bool:
        """Whether :attr:`store` is the embedded demo (built when missing)."""
        return is_default_store(self.store)
