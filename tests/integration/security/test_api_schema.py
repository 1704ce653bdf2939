"""Schemathesis against the JSON API's OpenAPI schema: with its default checks, nothing fails.

Run as a stranger (no device cookie: every request must get the documented 401) and as an enrolled
participant (the cookie on every generated request; the ``X-Pusterum`` header comes from the schema).
Seeded and bounded, so CI sees the same few hundred requests every time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.python import asgi

from tests.support import app_client, enrol

SCHEMA_PATH = "/api/schema/openapi.json"
API_PATHS = {"/api/events", "/api/push/subscription", "/api/reminders/action"}


async def _device_cookie(app) -> str:
    async with app_client(app) as client:
        await enrol(client, lang="en")
        return client.cookies["pusterum"]


def _load_schema() -> schemathesis.BaseSchema:
    """What the app serves at SCHEMA_PATH, from an app of its own: tests are made before the database exists,
    so this one is never started (the one that answers is the ``app`` fixture, checked to serve the same)."""
    from server.app import create_app

    return schemathesis.openapi.from_dict(create_app().openapi_schema.to_schema())


schema = _load_schema()


@pytest.fixture(params=["stranger", "participant"])
def visitor(request, app, db) -> Iterator[dict[str, str]]:
    cookies = {} if request.param == "stranger" else {"pusterum": asyncio.run(_device_cookie(app))}
    # Schemathesis runs the app (and its lifespan) on an event loop of its own; it is stopped again
    # afterwards, so that no second lifespan of the shared app outlives this test.
    try:
        yield cookies
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
    case.call_and_validate(app=app, cookies=visitor)
