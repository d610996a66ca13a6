"""The record store interface: users, campaigns, inspection records, photos, reviews, zone
plans and the audit log behind one API (GeoPackage and PostGIS backends).

Guarantees every backend keeps:

- **Idempotent creation.** A record is keyed by its campaign and its client UUID: the same
  UUID in another campaign is another record. Creating it again in its campaign with the
  same body returns the stored record (``created=False``); with a different body raises
  :class:`ConflictError`. Methods that address a record take ``campaign_id``; without it
  they act on the only record with that id (``AmbiguousRecordError`` when several
  campaigns hold one).
- **No lost updates.** Updates and reviews name the version they were based on (its ETag);
  a stale one raises :class:`PreconditionFailedError`.
- **All or nothing.** A method that returns has committed; one that raises has changed
  nothing. A record, its audit entry and (for reviews) the review row commit together.
- **Append-only audit.** Every write appends one audit entry chained by SHA-256 to the one
  before; the backend refuses to update or delete audit entries.
- **Versioned zone plans.** A plan's versions are all kept; an edit names the version it
  was based on and is saved only if that is still the current one (a compare-and-swap in
  the edit's transaction), else :class:`PreconditionFailedError` and nothing changes.

The store checks storage rules (uniqueness, versions, review transitions). Who may do what,
and whether a body makes sense for the marker register, is checked by the caller.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any

from layers.records.models import (
    Access,
    AuditCheck,
    AuditEntry,
    Campaign,
    Member,
    Photo,
    Record,
    RecordFilter,
    RecordKind,
    Review,
    User,
    ZonePlanSummary,
    ZonePlanVersion,
)

__all__ = ["RecordStore"]


class RecordStore(ABC):
    """Inspection records and their users, campaigns, photos, reviews and audit log."""

    url: str

    # -- users and tokens --------------------------------------------------------------

    @abstractmethod
    def add_user(self, user: User, *, actor: str) -> User:
        """Create a user; :class:`ConflictError` if the username is taken."""

    @abstractmethod
    def get_user(self, username: str) -> User:
        """One user; :class:`RecordNotFoundError` if absent."""

    @abstractmethod
    def list_users(self) -> list[User]:
        """Every user, by username."""

    @abstractmethod
    def add_token(
        self, username: str, token_hash: str, *, label: str, expires_at: str, actor: str
    ) -> None:
        """Store the SHA-256 of a new bearer token (the token itself is never stored)."""

    @abstractmethod
    def user_for_token(self, token_hash: str, *, now: str) -> User | None:
        """The active user owning an unexpired, unrevoked token; ``None`` otherwise."""

    @abstractmethod
    def access_for_token(self, token_hash: str, *, now: str) -> Access | None:
        """What an unexpired, unrevoked token of an active user grants (user, campaigns,
        expiry) and the store's security generation, all as of one instant; ``None`` when
        the token grants nothing.

        The security generation changes in the transaction of every write that may take
        access away or change what it covers (revoking tokens, disabling or removing a user,
        a new password, a new membership or campaign), so a grant read at generation ``g``
        is still exact while the store is at ``g``."""

    @abstractmethod
    def campaign_at(self, campaign_id: str) -> tuple[Campaign | None, int]:
        """The campaign (``None`` when there is none) and the security generation, as of
        one instant."""

    @abstractmethod
    def revoke_tokens(self, username: str, *, actor: str) -> int:
        """Revoke every token of a user; returns how many were revoked."""

    @abstractmethod
    def revoke_token(self, token_hash: str, *, actor: str) -> bool:
        """Revoke one token (a browser signing out); whether it was live."""

    @abstractmethod
    def update_user(
        self,
        username: str,
        *,
        actor: str,
        active: bool | None = None,
        password_hash: str | None = None,
        revoke: bool = False,
    ) -> tuple[User, int]:
        """Enable or disable a user, or set a password hash, in one transaction that also
        revokes every token of the user when it is disabled, its password changes, or
        ``revoke`` is set. Returns the user and the tokens revoked;
        :class:`RecordNotFoundError` if absent."""

    @abstractmethod
    def remove_user(self, username: str, *, actor: str) -> None:
        """Delete a user with its tokens and memberships; :class:`ConflictError` when any
        record, review, photo, campaign or plan names the user (disable instead)."""

    # -- campaigns ---------------------------------------------------------------------

    @abstractmethod
    def add_campaign(self, campaign: Campaign, *, actor: str) -> Campaign:
        """Create a campaign; :class:`ConflictError` if the id is taken."""

    @abstractmethod
    def get_campaign(self, campaign_id: str) -> Campaign:
        """One campaign; :class:`RecordNotFoundError` if absent."""

    @abstractmethod
    def list_campaigns(self, *, campaign_ids: tuple[str, ...] | None = None) -> list[Campaign]:
        """Campaigns (only ``campaign_ids`` when given), newest year first."""

    @abstractmethod
    def add_member(self, campaign_id: str, username: str, *, side: str, actor: str) -> Member:
        """Add (or move to another side) a campaign member."""

    @abstractmethod
    def members(self, campaign_id: str) -> list[Member]:
        """Members of a campaign."""

    @abstractmethod
    def campaigns_of(self, username: str) -> tuple[str, ...]:
        """Ids of the campaigns a user belongs to."""

    # -- records -----------------------------------------------------------------------

    @abstractmethod
    def create_record(
        self,
        kind: RecordKind,
        *,
        record_id: str,
        campaign_id: str,
        line_code: str,
        body: dict[str, Any],
        computed: dict[str, Any],
        actor: str,
        estimated: bool = False,
        generation: int | None = None,
    ) -> tuple[Record, bool]:
        """Store a new record, or return the stored one when ``body`` is the body it was
        created with: ``(record, created)``. :class:`ConflictError` when ``record_id``
        exists in ``campaign_id`` with another body (or as another kind);
        :class:`RecordNotFoundError` when there is no such campaign. With ``generation``
        (the security generation the caller checked access at), the write is made only if
        the store is still at it, in the write's transaction: :class:`AccessChangedError`
        otherwise, and nothing is written."""

    @abstractmethod
    def find_records(
        self,
        record_id: str,
        *,
        campaign_ids: tuple[str, ...] | None = None,
        kind: RecordKind | None = None,
    ) -> list[Record]:
        """Every record with this id (of ``kind`` when given) in ``campaign_ids`` (``None``:
        any campaign), by campaign; one query."""

    @abstractmethod
    def get_record(
        self, record_id: str, *, campaign_id: str | None = None, kind: RecordKind | None = None
    ) -> Record:
        """One record with its photos; :class:`RecordNotFoundError` if absent."""

    @abstractmethod
    def list_records(
        self, kind: RecordKind, flt: RecordFilter, *, limit: int | None = None, offset: int = 0
    ) -> tuple[list[Record], int]:
        """Records matching ``flt`` in creation order, and how many match in all."""

    @abstractmethod
    def update_record(
        self,
        record_id: str,
        *,
        body: dict[str, Any],
        computed: dict[str, Any],
        if_match: str,
        actor: str,
        campaign_id: str | None = None,
    ) -> Record:
        """Replace a record's body: :class:`PreconditionFailedError` unless ``if_match``
        is its current ETag (or ``*``); :class:`ConflictError` once the record is approved
        or rejected. A record that had issues returns to ``received``."""

    @abstractmethod
    def review_record(
        self,
        record_id: str,
        *,
        state: str,
        comment: str,
        if_match: str,
        actor: str,
        campaign_id: str | None = None,
    ) -> Record:
        """Set the review state (``has_issues``, ``approved``, ``rejected``) with a comment;
        same version rule as :meth:`update_record`; :class:`ConflictError` when the record
        is already approved or rejected."""

    @abstractmethod
    def reviews(self, record_id: str, *, campaign_id: str | None = None) -> list[Review]:
        """The review history of a record, oldest first."""

    # -- photos ------------------------------------------------------------------------

    @abstractmethod
    def add_photo(
        self,
        record_id: str,
        *,
        sha256: str,
        content_type: str,
        name: str,
        data: bytes,
        actor: str,
        campaign_id: str | None = None,
    ) -> tuple[Photo, bool]:
        """Attach a photo whose bytes hash to ``sha256`` (checked): ``(photo, created)``;
        the same photo again is stored once."""

    @abstractmethod
    def photo_bytes(
        self, record_id: str, sha256: str, *, campaign_id: str | None = None
    ) -> tuple[Photo, bytes]:
        """A photo and its bytes; :class:`RecordNotFoundError` if absent."""

    # -- zone plans (责任片区方案) -----------------------------------------------------

    @abstractmethod
    def create_plan(
        self,
        *,
        plan_id: str,
        request: dict[str, Any],
        assignment: Mapping[str, str | None],
        locked: Sequence[str] = (),
        info: dict[str, Any] | None = None,
        notes: Sequence[str] = (),
        inputs: dict[str, Any] | None = None,
        summary: dict[str, Any] | None = None,
        actor: str,
    ) -> ZonePlanVersion:
        """Store version 1 of a new plan (audit action ``zone_plan.create``).

        ``plan_id`` is a UUID; ``assignment`` maps unit ids to station ids (``None``:
        unassigned); ``locked`` lists locked units (all in ``assignment``); ``info`` is
        how it was solved; ``inputs`` stamps its input layers (:func:`layer_stamps`);
        ``summary`` is what :meth:`list_plans` shows. :class:`ConflictError` when the id is
        taken, :class:`RecordValidationError` when the rules above are broken."""

    @abstractmethod
    def get_plan(self, plan_id: str, *, version: int | None = None) -> ZonePlanVersion:
        """The current version of a plan, or ``version``; :class:`RecordNotFoundError`
        when either is absent."""

    @abstractmethod
    def list_plans(
        self, *, limit: int | None = None, offset: int = 0, analysis: str = "zones"
    ) -> list[ZonePlanSummary]:
        """Every plan of ``analysis`` at its current version, newest plan first: a plan
        whose request names ``"analysis"`` (community resize proposals:
        ``"communities"``) belongs to it, any other to ``"zones"``."""

    @abstractmethod
    def plan_history(self, plan_id: str) -> list[ZonePlanSummary]:
        """Every version of a plan, oldest first; :class:`RecordNotFoundError` if absent."""

    @abstractmethod
    def save_plan_version(
        self,
        plan_id: str,
        *,
        based_on: int,
        assignment: Mapping[str, str | None],
        locked: Sequence[str] = (),
        info: dict[str, Any] | None = None,
        notes: Sequence[str] = (),
        inputs: dict[str, Any] | None = None,
        summary: dict[str, Any] | None = None,
        actor: str,
    ) -> ZonePlanVersion:
        """Save an edit as version ``based_on + 1`` (audit action ``zone_plan.edit`` with
        the units that changed station and the locks added or removed).
        :class:`PreconditionFailedError` (nothing saved) unless ``based_on`` is the current
        version: of two edits on the same version, exactly one is saved."""

    # -- audit -------------------------------------------------------------------------

    @abstractmethod
    def audit(self, action: str, target: str, detail: dict[str, Any], *, actor: str) -> AuditEntry:
        """Append an entry for an action that writes nothing else (an export, a login)."""

    @abstractmethod
    def audit_within(
        self, con: Any, action: str, target: str, detail: dict[str, Any], *, actor: str
    ) -> AuditEntry:
        """Append an entry inside a writing transaction the caller holds on ``con``, a
        connection to this store's database (a layer write's, :class:`layers.store.Written`):
        the entry and the write commit together or not at all."""

    @abstractmethod
    def audit_log(self, *, after_seq: int = 0, limit: int | None = None) -> list[AuditEntry]:
        """Audit entries with ``seq > after_seq``, oldest first."""

    @abstractmethod
    def audit_head(self) -> tuple[int, str]:
        """``(seq, hash)`` of the last audit entry (``(0, GENESIS_HASH)`` when empty): a
        counter that grows with every write, for caches."""

    @abstractmethod
    def verify_audit(self) -> AuditCheck:
        """Recompute the hash chain over the whole log."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources (connections, pools)."""
