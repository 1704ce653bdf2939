"""Schemathesis against the JSON API's OpenAPI schema: with its default checks, nothing fails.

Run as a stranger (no device cookie: every request must get the documented 401) and as an enrolled
participant (her cookie wherever schemathesis sends the credential; the ``X-Pusterum`` header comes from the
schema). Every phase of the pytest integration runs (examples, coverage, fuzzing), seeded and bounded, so CI
sends the same thousand or so requests every time, in seconds.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.python import asgi

from server.reminders.endpoints import NOT_A_PUSH_SERVICE
from server.reminders.services import NOT_A_POINT
from tests.support import app_client, enrol

SCHEMA_PATH = "/api/schema/openapi.json"
API_PATHS = {"/api/events", "/api/push/subscription", "/api/reminders/action", "/api/push/subscription/renew",
             "/api/reminders/test"}


async def _device_cookie(app) -> str:
    async with app_client(app) as client:
        await enrol(client, lang="en")
        return client.cookies["pusterum"]


# A batch can be schema-valid and still break a rule that no JSON schema can state (documented in the
# operation): an unknown exercise_version, a time in the future by the phone's corrected clock or outside
# 2020-2100, a control character in a comment, a field its type needs. That 422 is an accepted answer to
# valid data here, but only with such a rule as its detail (see ``_only_rules_refuse_valid_events``): a
# schema-valid batch that the decoder refuses still fails.
# Likewise a subscription's p256dh can match its pattern and still not be a point on P-256, and its endpoint
# can be an https address that is not at a known push service (a list that a setting extends).
CONFIG = schemathesis.config.SchemathesisConfig.from_dict({"operations": [{
    "include-path": path,
    "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "401", "403", "409", "410", "422"]}},
} for path in ("/api/events", "/api/push/subscription")] + [{
    # A renewal with nothing to renew (her reminders are off) is a 404, as is a test to an endpoint not hers.
    "include-path": path,
    "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "401", "404", "409", "410", "422"]}},
} for path in ("/api/push/subscription/renew", "/api/reminders/test")]})
RULE_BROKEN = re.compile(
    r"(sent_at is not between 2020 and 2100$|events\[\d+\] \(\w+\): (missing |unknown exercise_version "
    r"|unknown questionnaire_version |occurred_at is more than 24 hours|occurred_at is not between 2020 and 2100"
    r"|the comment holds control characters|\d+ answers for \d+ items|an answer is not one of the instrument's values"
    r"|answers and questionnaire_version belong to questionnaire_answered))")
# JSON Schema counts 391.0 as an integer, msgspec does not: the one known difference between the schema and the
# decoder (the app's JSON.stringify never writes an integer that way).
INTEGRAL_FLOAT = re.compile(r"Expected `int( \| null)?`, got `float` - at `\$\.events\[\d+\]\.\w+(\[\d+\])?`$")


def _only_rules_refuse_valid_events(ctx, response, case) -> None:
    if case.meta is None or not case.meta.generation.mode.is_positive or response.status_code != 422:
        return
    detail = response.json().get("detail") or ""
    if case.path == "/api/events":
        assert RULE_BROKEN.match(detail) or INTEGRAL_FLOAT.match(detail), f"schema-valid events refused: {detail}"
    if case.path in ("/api/push/subscription", "/api/push/subscription/renew"):
        assert detail in (NOT_A_POINT, NOT_A_PUSH_SERVICE), f"schema-valid subscription refused: {detail}"


def _load_schema() -> schemathesis.BaseSchema:
    """What the app serves at SCHEMA_PATH, from an app of its own: tests are made before the database exists,
    so this one is never started (the one that answers is the ``app`` fixture, checked to serve the same)."""
    from server.app import create_app

    return schemathesis.openapi.from_dict(create_app().openapi_schema.to_schema(), config=CONFIG)


schema = _load_schema()


@pytest.fixture(params=["stranger", "participant"])
def visitor(request, app, db) -> Iterator[str | None]:
    """The stranger has no device cookie, the participant has the one that enrolling gave her."""
    cookie = asyncio.run(_device_cookie(app)) if request.param == "participant" else None
    # Schemathesis runs the app (and its lifespan) on an event loop of its own; it is stopped again
    # afterwards, so that no second lifespan of the shared app outlives this test.
    try:
        yield cookie
    finally:
        asgi.shutdown_lifespans()


def test_the_schema_describes_the_json_api_only(app):
    with asgi.get_client(app) as client:
        try:
            response = client.get(SCHEMA_PATH)
            ui = [client.get(f"/api/schema/{page}").status_code for page in ("swagger", "redoc", "rapidoc")]
        finally:
            asgi.shutdown_lifespans()
    assert response.status_code == 200
    document = response.json()
    assert document == schema.raw_schema
    assert set(document["paths"]) == API_PATHS
    assert ui == [404, 404, 404]
    for path in API_PATHS:
        operation = document["paths"][path]["post"]
        assert operation["security"] == [{"device": []}]
        assert operation["requestBody"]["content"]["application/json"]["schema"]["type"] == "object"
        assert {"200", "400", "401", "422"} <= set(operation["responses"])
    assert document["components"]["securitySchemes"]["device"] == {
        "type": "apiKey", "in": "cookie", "name": "pusterum",
        "description": "The signed device cookie that joining with an invite link sets."}


@schema.parametrize()
@settings(max_examples=40, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_the_json_api_keeps_to_its_schema(case, app, visitor):
    # The app that answers, also the probes that some checks send on their own.
    case.operation.app = case.operation.schema.app = app
    # The schema names the cookie as the credential: where schemathesis puts one in (some cases leave it out
    # on purpose), it becomes the participant's real one.
    if visitor is not None and case.cookies and "pusterum" in case.cookies:
        case.cookies["pusterum"] = visitor
    case.call_and_validate(additional_checks=[_only_rules_refuse_valid_events])
