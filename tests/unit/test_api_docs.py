"""The JSON API's schema describes each request body by the very type its handler takes, limits and patterns
included, so what the schema promises and what the decoder refuses cannot drift apart."""

from __future__ import annotations

from server.lib.api_docs import inline_schema


def test_each_documented_body_is_the_type_its_handler_decodes():
    from server.app import create_app

    app = create_app()  # only its routes and schema are read: no lifespan, no database
    paths = app.openapi_schema.to_schema()["paths"]
    documented = {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            data = handler.parsed_fn_signature.parameters.get("data")
            if route.path in paths and data is not None:
                body = paths[route.path]["post"]["requestBody"]["content"]["application/json"]["schema"]
                documented[route.path] = body == inline_schema(data.annotation)
    assert documented == {"/api/events": True, "/api/push/subscription": True, "/api/reminders/action": True,
                          "/api/push/subscription/renew": True, "/api/reminders/test": True}


def test_the_subscription_contract_is_on_the_type_itself():
    from server.reminders.schemas import SubscriptionIn

    schema = inline_schema(SubscriptionIn)
    assert schema["properties"]["endpoint"]["maxLength"] == 1024
    assert schema["properties"]["endpoint"]["pattern"].startswith("^(https://")
    assert schema["properties"]["keys"]["properties"]["p256dh"]["pattern"] == "^B[A-P][A-Za-z0-9_-]{85}=?$"
