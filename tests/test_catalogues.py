"""The Chinese catalogues are complete and compiled: every message has a reviewed translation (no
empty msgstr, no "fuzzy" guess left by makemessages, which Django would not use) and the committed
.mo file holds exactly what its .po says (a .po edited without `make messages` shows English)."""

import ast
import gettext
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = sorted(p for p in ROOT.glob("**/locale/zh_Hans/LC_MESSAGES/django.po") if ".venv" not in p.parts)


def _entries(po: Path) -> list[dict]:
    """(flags, msgctxt, msgid, msgid_plural, msgstr…) of each live entry of a .po file."""
    entries = []
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        entry: dict = {"flags": set()}
        field = None
        for line in block.splitlines():
            if line.startswith("#~"):  # obsolete
                entry = None
                break
            if line.startswith("#,"):
                entry["flags"].update(f.strip() for f in line[2:].split(","))
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                entry[field] += ast.literal_eval(line)
            else:
                field, _, value = line.partition(" ")
                entry[field] = ast.literal_eval(value)
        if entry and "msgid" in entry and entry["msgid"]:
            entries.append(entry)
    return entries


def test_there_are_catalogues():
    assert {p.relative_to(ROOT).parts[0] for p in CATALOGUES} >= {
        "locale",
        "assessment",
        "complaints",
        "training",
    }


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_message_has_a_reviewed_translation(po):
    fuzzy = [e["msgid"] for e in _entries(po) if "fuzzy" in e["flags"]]
    empty = [
        e["msgid"]
        for e in _entries(po)
        if not all(v for k, v in e.items() if k == "msgstr" or k.startswith("msgstr["))
    ]
    assert fuzzy == [], f"Review these guesses of makemessages in {po}, then drop their fuzzy flag"
    assert empty == [], f"Translate these messages in {po}"


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_compiled_catalogue_matches_its_source(po):
    with po.with_suffix(".mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)._catalog
    stale = []
    for e in _entries(po):
        key = e["msgid"] if "msgctxt" not in e else f"{e['msgctxt']}\x04{e['msgid']}"
        if "msgid_plural" in e:
            expected = {(key, 0): e["msgstr[0]"]}
            found = {(key, 0): compiled.get((key, 0))}
        else:
            expected, found = {key: e["msgstr"]}, {key: compiled.get(key)}
        if expected != found:
            stale.append(e["msgid"])
    assert stale == [], f"Run `make messages`: {po.with_suffix('.mo')} is older than its .po"
