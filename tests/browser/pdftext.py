"""The text of a PDF printed by Chromium, for checks: white space removed and characters in
their usual form. A PDF's fonts may map some characters to compatibility forms (⽣ for 生,
undone by NFKC) or to CJK radicals (⺠ for 民, which NFKC leaves alone: mapped here)."""

from __future__ import annotations

import io
import unicodedata

from pypdf import PdfReader

__all__ = ["pdf_pages", "pdf_text", "plain"]

_RADICALS = str.maketrans({
    "⺠": "民", "⻔": "门", "⻰": "龙", "⻅": "见", "⻓": "长", "⻋": "车", "⻛": "风",
    "⻜": "飞", "⻢": "马", "⻚": "页", "⻘": "青", "⻝": "食", "⻥": "鱼", "⻦": "鸟",
    "⻬": "齐", "⻮": "齿", "⻆": "角", "⻨": "麦", "⻩": "黄",
})  # fmt: skip


def plain(text: str) -> str:
    """``text`` without white space, in NFKC, radicals as the characters they stand for."""
    return unicodedata.normalize("NFKC", "".join(text.split())).translate(_RADICALS)


def pdf_pages(pdf: bytes) -> int:
    """How many pages ``pdf`` has."""
    return len(PdfReader(io.BytesIO(pdf)).pages)


def pdf_text(pdf: bytes) -> str:
    """The text of every page of ``pdf``, made :func:`plain`."""
    return plain("".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages))
