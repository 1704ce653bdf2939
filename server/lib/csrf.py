"""CSRF protection that survives a change of SECRET_KEY: Litestar's double-submit check, with the key ring.

Litestar's CSRFMiddleware signs the cookie's token with one secret, and on a page request keeps whatever
cookie the browser sends. After a key change, every browser holding a cookie from the old key would then be
refused on every form until it was closed (a phone with the app installed may keep it for weeks). Here a
token signed under any key of the ring (SECRET_KEY, then SECRET_KEY_FALLBACKS) is accepted, and a page
request whose cookie is not signed under the current key (a fallback's, or no key's at all) gets a new one
signed under the current key; nothing new is ever signed with a fallback.
"""

from __future__ import annotations

from secrets import compare_digest
from typing import TYPE_CHECKING, Any

from litestar.enums import RequestEncodingType, ScopeType
from litestar.exceptions import PermissionDeniedException
from litestar.middleware._utils import should_bypass_middleware
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.csrf import CSRF_SECRET_LENGTH, CSRFMiddleware, generate_csrf_hash, generate_csrf_token
from litestar.utils.scope.state import ScopeState

if TYPE_CHECKING:
    from litestar.config.csrf import CSRFConfig
    from litestar.types import ASGIApp, Receive, Scope, Send


class KeyRingCSRFMiddleware(CSRFMiddleware):
    def __init__(self, app: ASGIApp, config: CSRFConfig, keys: tuple[str, ...]) -> None:
        super().__init__(app, config)
        self.keys = keys  # the current key first; config.secret is the same current key

    def _decode_csrf_token(self, token: str) -> str | None:
        return self._decode(token, self.keys)

    @staticmethod
    def _decode(token: str, keys: tuple[str, ...]) -> str | None:
        if len(token) < CSRF_SECRET_LENGTH + 1:
            return None
        token_secret, existing_hash = token[:CSRF_SECRET_LENGTH], token[CSRF_SECRET_LENGTH:]
        for key in keys:
            if compare_digest(existing_hash, generate_csrf_hash(token=token_secret, secret=key)):
                return token_secret
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Litestar 2.25's own steps, but a page request keeps the cookie only if the current key signed it."""
        if scope["type"] != ScopeType.HTTP or should_bypass_middleware(
                scope=scope, scopes=self.scopes, exclude_opt_key=self.config.exclude_from_csrf_key,
                exclude_path_pattern=self.exclude):
            await self.app(scope, receive, send)
            return
        request: Any = scope["litestar_app"].request_class(scope=scope, receive=receive)
        content_type, _ = request.content_type
        csrf_cookie = request.cookies.get(self.config.cookie_name)
        existing_csrf_token = request.headers.get(self.config.header_name)
        if not existing_csrf_token and content_type in {RequestEncodingType.URL_ENCODED,
                                                        RequestEncodingType.MULTI_PART}:
            form = await request.form()
            existing_csrf_token = form.get("_csrf_token", None)
        connection_state = ScopeState.from_scope(scope)
        if request.method in self.config.safe_methods:
            if csrf_cookie is not None and self._decode(csrf_cookie, self.keys[:1]) is None:
                csrf_cookie = None  # made under a former key, or none: replaced by the answer
            token = connection_state.csrf_token = csrf_cookie or generate_csrf_token(secret=self.keys[0])
            await self.app(scope, receive, self.create_send_wrapper(send=send, csrf_cookie=csrf_cookie, token=token))
        elif (existing_csrf_token is not None and csrf_cookie is not None
              and self._csrf_tokens_match(existing_csrf_token, csrf_cookie)):
            connection_state.csrf_token = existing_csrf_token
            await self.app(scope, receive, send)
        else:
            raise PermissionDeniedException("CSRF token verification failed")


def csrf_middleware(config: CSRFConfig, keys: tuple[str, ...]) -> DefineMiddleware:
    return DefineMiddleware(KeyRingCSRFMiddleware, config=config, keys=keys)
