"""Log lines: JSON objects one per line in production (DJANGO_LOG_FORMAT=json, the default when
DEBUG is off), plain text in development. Every line written while a request is served carries
that request's id (set by halls.middleware.RequestIdMiddleware, echoed as X-Request-ID)."""

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime

request_id_var: ContextVar[str | None] = ContextVar("hallops_request_id", default=None)


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on the record as `request_id` ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get() or "-"
        return True


class JsonLinesFormatter(logging.Formatter):
    """One JSON object per record: time (ISO 8601, UTC), level, logger, message, request_id when
    the record was written inside a request, exception (the formatted traceback) when one is
    attached. Non-ASCII text is kept as it is; newlines in messages are escaped by JSON."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        status_code = getattr(record, "status_code", None)
        if status_code is not None:
            entry["status_code"] = status_code
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
