"""Who is asking: the participant behind this device, or a kind redirect to the start page."""

from __future__ import annotations

from litestar import Request

from server.participants.services import ParticipantView, get_participant


class NotEnrolled(Exception):
    """This device has no (current) participant: show the start page instead of the requested one."""


async def current_participant(request: Request) -> ParticipantView:
    device = request.state.device
    if device is None:
        raise NotEnrolled
    participant = await get_participant(device.participant_id)
    if participant is None or participant.withdrawn:
        raise NotEnrolled
    return participant


def require_device(request: Request):
    """For hot pages that need no database: the signed cookie is proof enough to show published content."""
    device = request.scope["state"].get("device")  # the scope dict: cheaper than building State
    if device is None:
        raise NotEnrolled
    return device


def safe_next(target: str) -> str:
    """Only same-site paths: a crafted link must not send her somewhere else after a form."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
