"""Schema fuzzing: schemathesis generates requests from `/api/schema/` for every operation and every
kind of caller the API accepts (the HR client's token; the branch manager's, hall manager's, clerk's
and inspector's browser sessions), sends them to the WSGI application in-process, and checks each
answer: never a server error, and a documented answer (2xx) always matches the schema.

Bounded and deterministic: `MAX_EXAMPLES` valid-looking cases (schemathesis' positive mode) and
`MAX_EXAMPLES` invalid ones (negative mode) per operation and caller, derandomized, no example
database. Path ids are drawn half the time from objects the caller can see (read from the list
endpoint first), so detail, update and action endpoints are reached, not only their 404.
Every request runs in its own savepoint, so one answer never poisons the next.
"""

import re
import secrets
from collections import Counter
from contextlib import contextmanager

import pytest
import schemathesis
from django.conf import settings
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.test import Client
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from tests.complaints.factories import ComplaintFactory
from tests.staffing.factories import RosterFactory, ShiftTypeFactory, make_assignment

MAX_EXAMPLES = 5
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
ROLES = ["hr_client", "branch_manager", "hall_manager", "clerk", "inspector"]
ID_PARAM = re.compile(r"\{(id|pk)\}")


@contextmanager
def keeping_the_connection():
    """As Django's test client does: a request must not close the test's connection mid-transaction."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def savepoint():
    """A savepoint per request so one failed statement never poisons the next; marked as the test
    case's own block (as Django's TestCase marks its atomics) so services may open durable blocks."""
    block = transaction.atomic()
    block._from_testcase = True
    return block


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock(), keeping_the_connection():
        return schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


def _credentials_for(role: str, cast) -> tuple[dict[str, str], dict[str, str]]:
    """(headers, cookies): the HR client's token, or a logged-in session with its CSRF pair."""
    if role == "hr_client":
        return {"Authorization": f"Token {cast.hr_client.raw_token}"}, {}
    client = Client()
    client.force_login(getattr(cast, role))
    csrf = secrets.token_hex(16)  # an unmasked 32-character secret is a valid token for its own cookie
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    return {"X-CSRFToken": csrf}, {settings.SESSION_COOKIE_NAME: session, settings.CSRF_COOKIE_NAME: csrf}


def _some_records(cast, hall):
    """One of each kind of record in the caller's hall, so detail endpoints have something to find."""
    shift = ShiftTypeFactory(hall=hall)
    roster = RosterFactory(hall=hall)
    make_assignment(roster, cast.clerk.staff, roster.period_start, shift)
    ComplaintFactory(hall=hall)


def _known_ids(path: str, headers: dict[str, str], cookies: dict[str, str]) -> list[int]:
    """Ids the caller sees on the list endpoint matching a detail path (/x/{id}/... → /x/)."""
    list_path = ID_PARAM.split(path)[0]
    client = Client()
    client.cookies.load(cookies)
    response = client.get(list_path, headers=headers)
    if response.status_code != 200 or "application/json" not in response.get("Content-Type", ""):
        return []
    body = response.json()
    rows = body.get("results", body) if isinstance(body, dict) else body
    return [row["id"] for row in rows if isinstance(row, dict) and isinstance(row.get("id"), int)][:5]


def _fuzz_operation(operation, headers, cookies, known_ids, tally, failures):
    param = next((m.group(1) for m in ID_PARAM.finditer(operation.path)), None)
    for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
        strategy = operation.as_strategy(generation_mode=mode)
        if param and known_ids:
            strategy = st.tuples(strategy, st.sampled_from([None, *known_ids])).map(
                lambda pair, p=param: _with_id(*pair, p)
            )

        @given(case=strategy)
        @hypothesis_settings(
            max_examples=MAX_EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            tally["examples"] += 1
            try:
                with keeping_the_connection(), savepoint():
                    response = case.call(headers=headers, cookies=cookies)
                    case.validate_response(response, checks=CHECKS, headers=headers)
            except (Exception, BaseExceptionGroup) as exc:  # every failure is collected, none stops the run
                key = f"{operation.method.upper()} {operation.path}"
                failures[key] = failures.get(key) or f"{type(exc).__name__}: {str(exc)[:1500]}"

        run()


def _with_id(case, known_id, param):
    if known_id is not None:
        case.path_parameters = {**(case.path_parameters or {}), param: known_id}
    return case


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.django_db
def test_no_server_error_and_no_answer_outside_the_schema(schema, cast, role):
    _some_records(cast, cast.hall)
    headers, cookies = _credentials_for(role, cast)
    tally: Counter = Counter()
    failures: dict[str, str] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40
    for operation in operations:
        tally["operations"] += 1
        known = _known_ids(operation.path, headers, cookies) if ID_PARAM.search(operation.path) else []
        _fuzz_operation(operation, headers, cookies, known, tally, failures)
    print(f"schema fuzz [{role}]: {tally['operations']} operations, {tally['examples']} examples")
    assert tally["examples"] >= tally["operations"] * 2
    assert not failures, "\n\n".join(f"{k}\n{v}" for k, v in sorted(failures.items()))
