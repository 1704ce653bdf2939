"""Typed form input for the HTML pages, with messages a person can act on.

A page's form is a msgspec Struct in its domain's ``schemas.py`` with real types and limits (``int`` with
bounds, ``date``, ``Literal``). Each field may carry the message shown when it is not right, in
``Meta(extra={"error": N_("…")})`` (and, if it differs, the one shown when it is empty: ``"missing"``); the
message may use ``%(low)d``, ``%(high)d`` and ``%(max)d``, taken
from the field's own bounds so the words and the rule cannot drift apart.

``form_of(SiteForm)`` is the dependency a handler declares (``form: FormOf[SiteForm]``, after the guards):
it reads the body once, converts every field on its own (so all problems are found at once, not only the
first), and gives the handler either the typed value or the messages per field, together with what she
typed, so the page can come back with her input. Empty fields take their defaults. Unknown fields (the
CSRF token) are ignored. A control character (``server.lib.text``: NUL, escape, …; not tab or a line
break) is refused in every field: no one types one, and PostgreSQL cannot store a NUL in text. A form
whose fields are known only when it arrives (a questionnaire's items) is read with
``read_form(request, its_type)`` in a dependency of its own.
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import msgspec
from litestar import Request
from litestar.di import NamedDependency, Provide

from server.lib import errors
from server.lib.i18n import N_, _
from server.lib.text import has_control

T = TypeVar("T", bound=msgspec.Struct)
DEFAULT_ERROR = N_("Please check this field.")
UNSTORABLE = N_("This field holds a character that cannot be saved. Please type it again.")


@dataclass(frozen=True, slots=True)
class Parsed(Generic[T]):
    value: T | None  # None when any field is not right
    errors: dict[str, str] = field(default_factory=dict)  # field name -> a message in her language
    raw: dict[str, Any] = field(default_factory=dict)  # what she typed (every field), to show again

    @property
    def message(self) -> str:
        """All problems in one sentence each, in the form's order."""
        return " ".join(dict.fromkeys(self.errors.values()))


class Invalid(errors.Refused):
    """A form with fields that are not right; ``str()`` says what, in her language."""


def valid(parsed: Parsed[T]) -> T:
    """The typed value, or ``Invalid`` to be answered like any other reason the form cannot be saved."""
    if parsed.value is None:
        raise Invalid(parsed.message)
    return parsed.value


FormOf = NamedDependency[Parsed[T]]  # a handler's ``form: FormOf[SiteForm]``, with ``dependencies={"form": ...}``


def _meta(annotation: Any) -> msgspec.Meta | None:
    for candidate in (annotation, *typing.get_args(annotation)):
        for extra in getattr(candidate, "__metadata__", ()):
            if isinstance(extra, msgspec.Meta):
                return extra
    return None


def _message(annotation: Any, *, missing: bool = False) -> str:
    meta = _meta(annotation)
    words = (meta.extra or {}) if meta else {}
    text = words.get("missing", words.get("error", DEFAULT_ERROR)) if missing else words.get("error", DEFAULT_ERROR)
    bounds = {"low": getattr(meta, "ge", None), "high": getattr(meta, "le", None),
              "max": getattr(meta, "le", None) or getattr(meta, "max_length", None)}
    return _(text, **{k: v for k, v in bounds.items() if v is not None})


def field_message(type_: Any, path: str) -> str | None:
    """The words of the field at ``path`` in ``type_`` ("keys.auth", "events[2].type"), where it has its
    own, so a JSON body refused by the decoder is answered as kindly as a form."""
    annotation = type_
    for name in re.sub(r"\[\d+\]", "", path).split("."):
        struct = _struct_in(annotation)
        if struct is None or name not in struct.__struct_fields__:
            return None
        annotation = typing.get_type_hints(struct, include_extras=True)[name]
    meta = _meta(annotation)
    return _message(annotation) if meta and "error" in (meta.extra or {}) else None


def _struct_in(annotation: Any) -> type[msgspec.Struct] | None:
    """The Struct an annotation holds: itself, as an option, or as the items of a list."""
    bare = _bare(annotation)
    for candidate in map(_bare, (bare, *typing.get_args(bare))):
        if isinstance(candidate, type) and issubclass(candidate, msgspec.Struct):
            return candidate
        if typing.get_origin(candidate) is list:
            return _struct_in(typing.get_args(candidate)[0])
    return None


def _bare(annotation: Any) -> Any:
    return typing.get_args(annotation)[0] if typing.get_origin(annotation) is typing.Annotated else annotation


def parse(type_: type[T], raw: dict[str, Any]) -> Parsed[T]:
    """``raw``: field name -> text (a list for a repeated field)."""
    hints = typing.get_type_hints(type_, include_extras=True)
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for spec in _fields(type_):
        text = raw.get(spec.encode_name)
        if isinstance(text, str):
            text = text.strip()
        if text in (None, "", []):
            if spec.required:
                problems[spec.name] = _message(hints[spec.name], missing=True)
            continue
        if any(has_control(part) for part in (text if isinstance(text, list) else [text])):
            problems[spec.name] = _(UNSTORABLE)
            continue
        try:
            values[spec.name] = msgspec.convert(text, hints[spec.name], strict=False)
        except msgspec.ValidationError:
            problems[spec.name] = _message(hints[spec.name])
    if problems:
        return Parsed(None, problems, raw)
    return Parsed(type_(**values), {}, raw)


def _fields(type_: type[msgspec.Struct]) -> tuple[msgspec.inspect.Field, ...]:
    info = msgspec.inspect.type_info(type_)
    assert isinstance(info, msgspec.inspect.StructType)
    return info.fields


def blank(type_: type[msgspec.Struct], **values: Any) -> dict[str, str]:
    """A form to show before anything was typed: every field, as text (its default, or ``values``)."""
    shown = {spec.encode_name: "" if spec.default in (msgspec.NODEFAULT, None) else str(spec.default)
             for spec in _fields(type_)}
    return shown | {name: "" if value is None else str(value) for name, value in values.items()}


async def read_form(request: Request, type_: type[T]) -> Parsed[T]:
    """This request's URL-encoded or multipart form as ``type_`` (a file where text belongs counts as empty)."""
    form = await request.form()
    raw: dict[str, Any] = {}
    for spec in _fields(type_):
        kind = spec.type.type if isinstance(spec.type, msgspec.inspect.Metadata) else spec.type  # words, limits
        if isinstance(kind, msgspec.inspect.ListType):
            raw[spec.encode_name] = [v for v in form.getall(spec.encode_name, []) if isinstance(v, str)]
        else:
            value = form.get(spec.encode_name)
            raw[spec.encode_name] = value if isinstance(value, str) else ""
    return parse(type_, raw)


def form_of(type_: type[T]) -> Provide:
    """A dependency that reads a URL-encoded or multipart form into ``type_``."""

    async def read(request: Request) -> Parsed[T]:
        return await read_form(request, type_)

    return Provide(read)
