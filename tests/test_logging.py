"""JSON log lines: one parseable object per record, with the exception text and the request id."""

import json
import logging
import sys
from datetime import datetime

from hallops.logging import JsonLinesFormatter, RequestIdFilter, request_id_var


def record(message="Hall %s saved", args=("H001",), exc_info=None, name="halls.views"):
    return logging.LogRecord(name, logging.ERROR, __file__, 10, message, args, exc_info)


def test_a_record_becomes_one_json_object_with_time_level_logger_and_message():
    line = JsonLinesFormatter().format(record())

    entry = json.loads(line)
    assert set(entry) == {"time", "level", "logger", "message"}
    assert entry["level"] == "ERROR"
    assert entry["logger"] == "halls.views"
    assert entry["message"] == "Hall H001 saved"
    assert datetime.fromisoformat(entry["time"]).utcoffset().total_seconds() == 0


def test_the_exception_text_is_carried_and_the_line_stays_one_line():
    try:
        raise ZeroDivisionError("division by zero")
    except ZeroDivisionError:
        exc_info = sys.exc_info()

    line = JsonLinesFormatter().format(record("Ranking failed\nfor hall %s", exc_info=exc_info))

    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "Ranking failed\nfor hall H001"
    assert entry["exception"].startswith("Traceback (most recent call last):")
    assert "ZeroDivisionError: division by zero" in entry["exception"]


def test_chinese_text_is_kept_readable():
    line = JsonLinesFormatter().format(record("人民路营业厅 %s", args=("已保存",)))

    assert "人民路营业厅 已保存" in line
    assert json.loads(line)["message"] == "人民路营业厅 已保存"


def test_the_request_id_is_added_inside_a_request_only():
    formatter = JsonLinesFormatter()
    token = request_id_var.set("req-42")
    try:
        inside = json.loads(formatter.format(record()))
    finally:
        request_id_var.reset(token)
    outside = json.loads(formatter.format(record()))

    assert inside["request_id"] == "req-42"
    assert "request_id" not in outside


def test_the_plain_format_gets_the_request_id_from_the_filter():
    formatter = logging.Formatter("%(levelname)s [%(request_id)s] %(message)s")
    line = record()
    token = request_id_var.set("req-7")
    try:
        RequestIdFilter().filter(line)
    finally:
        request_id_var.reset(token)

    assert formatter.format(line) == "ERROR [req-7] Hall H001 saved"
    outside = record()
    RequestIdFilter().filter(outside)
    assert outside.request_id == "-"
