"""The audit chain: every entry's hash covers its own fields and the previous entry's hash,
so altering or removing any row breaks every hash after it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from layers.records.models import GENESIS_HASH, AuditCheck, AuditEntry, canonical_json, sha256_hex

__all__ = ["entry_hash", "verify_chain"]


def entry_hash(
    prev_hash: str,
    *,
    seq: int,
    at: str,
    actor: str,
    action: str,
    target: str,
    detail: dict[str, Any],
) -> str:
    """SHA-256 (hex) of an audit entry chained to ``prev_hash``."""
    payload = canonical_json([prev_hash, seq, at, actor, action, target, detail])
    return sha256_hex(payload)


def verify_chain(entries: Iterable[AuditEntry]) -> AuditCheck:
    """Recompute the chain over ``entries`` (in ``seq`` order from the first).

    Returns an :class:`AuditCheck` naming the first entry whose sequence number, link or
    hash does not match.
    """
    prev, expected_seq, count = GENESIS_HASH, 1, 0
    for e in entries:
        count += 1
        if e.seq != expected_seq:
            return AuditCheck(False, count, prev, e.seq, f"sequence gap before {e.seq}")
        if e.prev_hash != prev:
            return AuditCheck(False, count, prev, e.seq, "link to the previous entry broken")
        again = entry_hash(
            prev,
            seq=e.seq,
            at=e.at,
            actor=e.actor,
            action=e.action,
            target=e.target,
            detail=e.detail,
        )
        if again != e.hash:
            return AuditCheck(False, count, prev, e.seq, "entry altered (hash mismatch)")
        prev, expected_seq = e.hash, expected_seq + 1
    return AuditCheck(True, count, prev)
