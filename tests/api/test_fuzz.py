"""Property-based test of the whole HTTP API with schemathesis, on a GeoPackage store with
layers, users, a campaign and records: every operation of the OpenAPI document is called
with generated requests (valid and invalid), once without a token and once as an admin.
No answer may be a 5xx, and every answer must conform to the document (status code,
content type, body schema, headers). Bounded to about a minute."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis import checks
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi import checks as openapi_checks

from api.auth import issue_token, token_digest
from api.inspection.photos import get_photo_limit
from tests.api.test_inspection_kit import Kit, build_kit, make_app

#: generated examples per operation and caller (55 operations × 2 callers); with the admin's
#: coverage phase about 3,200 calls in about a minute
EXAMPLES = 5
CHECKS = [
    checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.response_headers_conformance,
]


#: where the store is built (the app and its schema exist at import, for schemathesis to
#: parametrize; the store opens at the first call, after :func:`fuzz_world` built it)
_ROOT = Path(tempfile.mkdtemp(prefix="mzgis-fuzz-"))
atexit.register(shutil.rmtree, _ROOT, ignore_errors=True)
APP = make_app(_ROOT / "fuzz.gpkg")
APP.dependency_overrides[get_photo_limit] = lambda: 64 * 1024
#: as the admin: the coverage phase (boundary and invalid values of every parameter, but no
#: methods the document does not list), then generated cases (:data:`EXAMPLES` each)
ADMIN = SchemathesisConfig.from_dict({"phases": {"coverage": {"unexpected-methods": []}}})
#: anonymous: generated cases only (most operations stop at 401)
ANONYMOUS = SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}})
admin_schema = schemathesis.openapi.from_asgi("/openapi.json", APP, config=ADMIN)
anonymous_schema = schemathesis.openapi.from_asgi("/openapi.json", APP, config=ANONYMOUS)


@pytest.fixture(scope="module")
def fuzz_world(small_store: Path) -> Iterator[Kit]:
    """The store the app serves: the API tests' small store plus the inspection kit."""
    path = _ROOT / "fuzz.gpkg"
    shutil.copyfile(small_store, path)
    with build_kit(path) as kit:
        yield kit
    print(f"\nschemathesis: {sum(CALLS.values())} calls, by status class {dict(CALLS)}")


#: answers by status class ("2xx", "4xx", ...), printed when the module ends (``-s``)
CALLS: Counter[str] = Counter()


def _call(case: schemathesis.Case, headers: dict[str, str] | None = None) -> None:
    answer = case.call_and_validate(headers=headers, checks=CHECKS)
    CALLS[f"{answer.status_code // 100}xx"] += 1


def _admin_headers(kit: Kit) -> dict[str, str]:
    """The admin's token, issued again when a generated call revoked it."""
    token = kit.tokens["admin"]
    if kit.records.user_for_token(token_digest(token), now="2000-01-01T00:00:00Z") is None:
        kit.records.update_user("admin", actor="test", active=True)
        kit.tokens["admin"] = token = issue_token(kit.records, "admin", actor="test")[0]
    return {"Authorization": f"Bearer {token}"}


FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@anonymous_schema.parametrize()
@FUZZ
def test_anonymous_callers_get_no_5xx_and_conforming_answers(
    case: schemathesis.Case, fuzz_world: Kit
) -> None:
    _call(case)


@admin_schema.parametrize()
@FUZZ
def test_an_admin_gets_no_5xx_and_conforming_answers(
    case: schemathesis.Case, fuzz_world: Kit
) -> None:
    _call(case, _admin_headers(fuzz_world))
