"""The API's JSON parser: the one place where text that PostgreSQL cannot store, or a body that
cannot be parsed safely, becomes a clear 400 before any view code runs."""

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


def _bad_text(value: str) -> bool:
    """NUL (PostgreSQL text refuses it) or an unpaired UTF-16 surrogate (not encodable as UTF-8)."""
    return "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value)


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("The JSON document is nested too deeply.")) from None
        pending = [data]
        while pending:  # iterative: a deep document must not exhaust the stack here either
            item = pending.pop()
            if isinstance(item, dict):
                pending.extend(item.keys())
                pending.extend(item.values())
            elif isinstance(item, list):
                pending.extend(item)
            elif isinstance(item, str) and _bad_text(item):
                raise ParseError(_("Text may not contain NUL characters or unpaired surrogates."))
        return data
