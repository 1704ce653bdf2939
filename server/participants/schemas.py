"""Form inputs of the join flow and the participant's settings."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

Language = Literal["da", "en"]


class ConsentForm(msgspec.Struct, frozen=True):
    lang: Language
    consent: Annotated[str, msgspec.Meta(max_length=10)] = ""


class RenewConsentForm(msgspec.Struct, frozen=True):
    consent: Annotated[str, msgspec.Meta(max_length=10)] = ""


class LanguageForm(msgspec.Struct, frozen=True):
    lang: Language
    next: Annotated[str, msgspec.Meta(max_length=200)] = "/"


class MunicipalityForm(msgspec.Struct, frozen=True):
    municipality: Annotated[str, msgspec.Meta(max_length=4)] = ""
    skip: Annotated[str, msgspec.Meta(max_length=10)] = ""
    next: Annotated[str, msgspec.Meta(max_length=200)] = ""  # a path of ours; otherwise her home


class WithdrawForm(msgspec.Struct, frozen=True):
    choice: Annotated[str, msgspec.Meta(max_length=10)] = ""  # keep | delete; checked by the controller
