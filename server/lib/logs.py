"""One log event per line, with the request id, so an operator can follow a request across processes.

Log calls name events (``unhandled_error route=... type=...``) and never carry a participant's
answers, free text, invite codes, push endpoints or tokens.
"""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar
from typing import Any

from litestar.logging.standard import QueueListenerHandler

request_id: ContextVar[str] = ContextVar("request_id", default="")


class LineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        when = self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z")
        line = f"{when} {record.levelname} {record.name} {record.getMessage()}"
        rid = request_id.get()
        if rid:
            line += f" request_id={rid}"
        if record.exc_info:
            # Tracebacks stay in the server log (never in a response), folded onto the same line.
            line += " traceback=" + self.formatException(record.exc_info).replace("\n", " | ")
        return line


class CurrentStderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to ``sys.stderr`` as it is at each line: a handler that kept the stream it was made with
    wrote into a closed one once a test runner had swapped it ("I/O operation on closed file")."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


class QueueToStderr(QueueListenerHandler):
    """Litestar's queue handler (log calls never wait for the terminal), writing to the current stderr."""

    def __init__(self, handlers: Any = None) -> None:
        super().__init__(handlers)
        self.listener.handlers = (CurrentStderr(),)


def logging_overrides() -> dict:
    """Litestar's LoggingConfig pieces that switch its handlers to our line format and the current stderr."""
    return {"formatters": {"standard": {"()": "server.lib.logs.LineFormatter"}},
            "handlers": {"queue_listener": {"class": "server.lib.logs.QueueToStderr", "level": "DEBUG",
                                            "formatter": "standard"},
                         "console": {"class": "server.lib.logs.CurrentStderr", "level": "DEBUG",
                                     "formatter": "standard"}}}
