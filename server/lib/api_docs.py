"""The JSON API's OpenAPI description.

The API handlers take a typed body (``data: JSONBody[T]``) after their guards (a stranger gets 401 before
the body is judged, a request without the app's header 400). ``api_route`` says in the schema what Litestar
cannot: the request body in place (msgspec's own JSON schema of T, so its limits and patterns are the
decoder's; a test checks it is the handler's own type), the ``X-Pusterum`` header, the device cookie and
every response the handler really gives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Components, OpenAPIMediaType, Operation, Parameter, RequestBody, SecurityScheme

from server.lib.api import ApiError

DEVICE_COOKIE = "pusterum"
SECURITY_SCHEME = "device"
COMPONENTS = Components(security_schemes={SECURITY_SCHEME: SecurityScheme(
    type="apiKey", name=DEVICE_COOKIE, security_scheme_in="cookie",
    description="The signed device cookie that joining with an invite link sets.")})

_HEADER = Parameter(name="X-Pusterum", param_in="header", required=True,
                    schema={"type": "string", "const": "1"},  # type: ignore[arg-type]
                    description="Sent only by the Pusterum app: a cross-site form cannot send it without a "
                                "CORS preflight, which is never granted.")

ERRORS = {
    400: "The request did not come from the app: no `X-Pusterum: 1` header.",
    401: "No device cookie, or one we do not recognise. Checked first: a stranger learns nothing else.",
    403: "An event names another participant than the signed-in one.",
    409: "An event id was already used for other content; `ids` names them. Nothing was stored.",
    410: "The participant has withdrawn; nothing more is stored.",
    413: "The body is larger than the server takes at all.",
    422: "The body is valid JSON but not in the right form, or breaks a rule of its content.",
    429: "Over a limit: nothing of the request was kept; send it again after the `Retry-After` header's seconds.",
}


def inline_schema(type_: Any) -> dict[str, Any]:
    """msgspec's JSON schema for ``type_`` (its limits and patterns included: they are the decoder's own), with
    every reference resolved in place."""
    (root,), definitions = msgspec.json.schema_components([type_], ref_template="{name}")

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return resolve(definitions[node["$ref"]])
            return {key: resolve(value) for key, value in node.items() if key not in ("title", "default")}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    return resolve(root)


def api_route(*, body: dict[str, Any], ok: Any, errors: dict[int, str | None], description: str,
              example: Any = None) -> dict[str, Any]:
    """Keyword arguments for ``@post`` of a JSON API handler that reads its own body.

    ``errors`` maps each status the handler answers with (an ``ApiError``) to what it means there, or to
    None for the usual meaning.
    """
    header = _HEADER
    content = OpenAPIMediaType(schema=body, example=example)  # type: ignore[arg-type]

    @dataclass  # so that the generated __init__ calls __post_init__
    class ApiOperation(Operation):
        def __post_init__(self) -> None:
            self.request_body = RequestBody(required=True, description=description,
                                            content={"application/json": content})
            self.parameters = [*(self.parameters or []), header]

    responses = {200: ResponseSpec(ok, description="Done.", generate_examples=False)}
    responses.update({status: ResponseSpec(ApiError, description=meaning or ERRORS[status], generate_examples=False)
                      for status, meaning in errors.items()})
    return {"include_in_schema": True, "operation_class": ApiOperation, "responses": responses,
            "security": [{SECURITY_SCHEME: []}], "tags": ["api"]}
