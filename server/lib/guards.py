"""The cookie-only doors for participants' pages: the phone's signed cookie, checked before the handler.

* ``requires_device`` (a guard): pages that need no database; the signed cookie is proof enough to show
  published content. Handlers take ``device: ThisDevice`` (``DEVICE`` in the controller's dependencies).
* ``requires_kind("staff")``: the same, for one kind of participant; the other kind gets 404.

Pages with her own data also check her row: ``server.participants.guards``.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Guard

from server.lib.web import Device


class NotEnrolled(Exception):
    """This device has no (current) participant: show the start page instead of the requested one."""


def device_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Device | None:
    return connection.scope["state"].get("device")  # the scope dict: cheaper than building State


async def requires_device(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
    if device_of(connection) is None:
        raise NotEnrolled


def requires_kind(kind: str) -> Guard:
    async def guard(connection: ASGIConnection[Any, Any, Any, Any], _handler: BaseRouteHandler) -> None:
        device = device_of(connection)
        if device is None:
            raise NotEnrolled
        if device.kind != kind:
            raise NotFoundException
    return guard


def _device(request: Request) -> Device:
    device = device_of(request)
    if device is None:  # only reached behind a guard: kept as a last line, not as the check
        raise NotEnrolled
    return device


DEVICE = Provide(_device, sync_to_thread=False)
ThisDevice = NamedDependency[Device]


def safe_next(target: str, fallback: str = "/") -> str:
    """Only same-site paths: a crafted link must not send her somewhere else after a form."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    return target
