"""The participant behind this phone, for pages with her own data: the cookie says who, her row says
whether she is still with us. A withdrawn or unknown participant is sent, kindly, to the start page.

Handlers take ``participant: Enrolled`` behind ``server.lib.guards.requires_device``; controllers add
``DEPENDENCIES`` (the device and the participant).
"""

from __future__ import annotations

from litestar import Request
from litestar.di import NamedDependency, Provide

from server.lib.guards import DEVICE, NotEnrolled, device_of
from server.participants.services import ParticipantView, get_participant


async def current_participant(request: Request) -> ParticipantView:
    device = device_of(request)
    if device is None:
        raise NotEnrolled
    participant = await get_participant(device.participant_id)
    if participant is None or participant.withdrawn:
        raise NotEnrolled
    return participant


PARTICIPANT = Provide(current_participant)
DEPENDENCIES = {"device": DEVICE, "participant": PARTICIPANT}
Enrolled = NamedDependency[ParticipantView]
