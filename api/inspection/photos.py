"""``/inspections/{record_id}/photos``: photos of a record, uploaded as multipart with their
SHA-256 and checked before anything is stored.

The upload is refused before its body is read when ``Content-Length`` exceeds the limit
(413), and a body without one stops being read at the limit (413, :func:`api.bodies.limit_body`);
then the bytes must hash to the ``sha256`` field (422) and be a JPEG, PNG, WebP or
HEIC image by their magic bytes, whatever the client claims (415). The same photo uploaded
again is stored once (200).
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from api.auth import Reader, RecordsDep, Submitter
from api.bodies import limit_body
from api.errors import ErrorBody
from api.inspection.deps import CampaignChoice, editable_record, visible_record
from api.inspection.schemas import PhotoPublic
from layers.records import sha256_hex

__all__ = ["DEFAULT_PHOTO_LIMIT_BYTES", "get_photo_limit", "router", "sniff_image"]

router = APIRouter(tags=["inspections / 界线联检"])

DEFAULT_PHOTO_LIMIT_BYTES = 10 * 1024 * 1024
#: multipart framing allowed on top of the photo itself
_FORM_OVERHEAD_BYTES = 16 * 1024
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1")


def get_photo_limit() -> int:
    """The largest photo accepted, bytes (override in ``app.dependency_overrides``)."""
    return DEFAULT_PHOTO_LIMIT_BYTES


PhotoLimitDep = Annotated[int, Depends(get_photo_limit)]
Sha256 = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")]


def sniff_image(data: bytes) -> str | None:
    """The image type of ``data`` by its magic bytes (``image/jpeg``, ``image/png``,
    ``image/webp``, ``image/heic``), or ``None`` if it is none of those."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return "image/heic"
    return None


def _too_large(limit: int) -> HTTPException:
    msg = f"photo larger than {limit} bytes / 照片超过 {limit // (1024 * 1024)} MB 上限"
    return HTTPException(413, msg)


async def _read_upload(request: Request, limit: int) -> tuple[bytes, str, str]:
    """``(data, sha256 field, file name)`` of a multipart upload, within ``limit``."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit + _FORM_OVERHEAD_BYTES:
        raise _too_large(limit)
    limit_body(request, limit + _FORM_OVERHEAD_BYTES)  # a chunked body stops at the limit
    try:
        form = await request.form(max_files=1, max_fields=4)
    except Exception as exc:  # malformed multipart of any kind is the client's error
        raise HTTPException(
            400, f"cannot read the multipart form: {exc} / 无法解析上传表单"
        ) from exc
    upload, declared = form.get("file"), form.get("sha256")
    if not isinstance(upload, UploadFile) or not isinstance(declared, str):
        msg = "send the photo as the 'file' part and its SHA-256 as the 'sha256' field"
        raise HTTPException(422, f"{msg} / 请以 file 字段上传照片并以 sha256 字段提交其哈希")
    data = await upload.read(limit + 1)
    await form.close()
    if len(data) > limit:
        raise _too_large(limit)
    return data, declared.strip().lower(), upload.filename or ""


_UPLOAD_OPENAPI: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "sha256"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                    },
                }
            }
        },
    }
}


@router.post(
    "/{record_id:uuid}/photos",
    status_code=201,
    response_model=PhotoPublic,
    summary="Upload a photo of a record / 上传记录照片",
    openapi_extra=_UPLOAD_OPENAPI,
    responses={
        200: {"description": "Already received / 照片已上传过"},
        409: {
            "model": ErrorBody,
            "description": "Record approved or rejected, or its id used in several campaigns"
            " you may see (choose with ?campaign_id=) / 记录已审核完毕，或该编号在多个批次中"
            "都有记录（请用 ?campaign_id= 指明）",
        },
        413: {"model": ErrorBody, "description": "Photo too large / 照片过大"},
        415: {"model": ErrorBody, "description": "Not an image / 不是图片"},
        422: {"model": ErrorBody, "description": "SHA-256 mismatch / 哈希不符"},
    },
)
async def upload_photo(
    request: Request,
    *,
    record_id: UUID,
    user: Submitter,
    records: RecordsDep,
    limit: PhotoLimitDep,
    campaign_id: CampaignChoice = None,
) -> JSONResponse:
    record = await run_in_threadpool(editable_record, records, user, record_id, None, campaign_id)
    data, declared, name = await _read_upload(request, limit)
    if sha256_hex(data) != declared:
        msg = "the photo's SHA-256 does not match the 'sha256' field (damaged upload?)"
        raise HTTPException(422, f"{msg} / 照片哈希与 sha256 字段不符（上传可能损坏）")
    content_type = sniff_image(data)
    if content_type is None:
        raise HTTPException(
            415, "not a JPEG, PNG, WebP or HEIC image / 不是 JPEG、PNG、WebP 或 HEIC 图片"
        )
    photo, created = await run_in_threadpool(
        lambda: records.add_photo(
            record.record_id, sha256=declared, content_type=content_type, name=name, data=data,
            actor=user.username, campaign_id=record.campaign_id,
        )
    )  # fmt: skip
    return JSONResponse(photo.to_public(), status_code=201 if created else 200)


@router.get(
    "/{record_id:uuid}/photos/{sha256}",
    summary="A photo of a record / 记录照片",
    response_class=Response,
    responses={
        200: {"content": {"image/jpeg": {}, "image/png": {}}},
        409: {"model": ErrorBody, "description": "Id used in several campaigns / 编号在多个批次中"},
    },
)
def get_photo(
    record_id: UUID,
    sha256: Sha256,
    user: Reader,
    records: RecordsDep,
    campaign_id: CampaignChoice = None,
) -> Response:
    record = visible_record(records, user, record_id, None, campaign_id)
    photo, data = records.photo_bytes(record.record_id, sha256, campaign_id=record.campaign_id)
    headers = {"ETag": f'"{photo.sha256}"', "Cache-Control": "private, max-age=86400"}
    return Response(data, media_type=photo.content_type, headers=headers)
