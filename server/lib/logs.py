"""One log event per line, with the request id, so an operator can follow a request across processes.

Log calls name events (``unhandled_error route=... type=...``) and never carry a participant's
answers, free text, invite codes, push endpoints or tokens.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar

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


def logging_overrides() -> dict:
    """Litestar's LoggingConfig pieces that switch its handlers to our line format."""
    return {"formatters": {"standard": {"()": "server.lib.logs.LineFormatter"}}}
