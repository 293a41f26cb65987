"""A hostile-input corpus against every write path that takes free input: JSON API bodies (staff,
complaints, discipline records), the CSV/Excel imports of the API (customer evaluations, daily
KPIs), the traffic CSV import page and complaint attachments. Every input is answered with a 4xx
and a message, never a 500, and nothing is half-written (row counts unchanged)."""

import io
import json

import pytest
from django.test import Client
from openpyxl import Workbook

from assessment.models import FactImport, ScoreFact
from complaints import services as complaint_services
from complaints.models import Complaint, ComplaintAttachment, ComplaintEvent
from halls.models import AuditEvent
from staffing.models import Staff, TrafficRecord

pytestmark = pytest.mark.django_db

LONG = "长" * 100_000
STRINGS = {
    "nul": "abc\x00def",
    "lone-surrogate": "abc\ud800def",
    "rtl-override": "\u202eevil\u202c",
    "emoji-4-byte": "😀" * 30,
    "very-long": LONG,
    "sql": "'; DROP TABLE staffing_staff; --",
    "script": "<script>alert(1)</script>",
    "zero-width": "\u200b\u200d\ufeff",
}
COUNTED = (
    Staff,
    Complaint,
    ComplaintEvent,
    ComplaintAttachment,
    ScoreFact,
    FactImport,
    TrafficRecord,
    AuditEvent,
)


def counts():
    """Rows of every table a write path here could touch (reads that are audited, such as a
    complaint page showing the customer's contact, do not count as writes)."""
    found = {model.__name__: model.objects.count() for model in COUNTED}
    found["AuditEvent"] = AuditEvent.objects.exclude(action__endswith=".contact_viewed").count()
    return found


def client_for(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def assert_refused(response, before):
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:500])
    body = response.content.decode("utf-8", "replace")
    if response.get("Content-Type", "").startswith("application/json"):
        assert json.loads(body).get("detail"), body[:500]
    assert counts() == before


def _json_bodies(text):
    """Raw JSON bodies that carry `text` where a string belongs (json.dumps keeps lone surrogates
    as \\ud800 escapes, as a hostile client would send them)."""
    return json.dumps(text)


@pytest.fixture
def complaint(cast, clerk_staff):
    return complaint_services.create_complaint(
        actor=cast.clerk,
        hall=cast.hall,
        channel="hall_counter",
        customer_name="张三丰",
        customer_phone="13812345678",
        category="service_attitude",
        subject="营业员态度差",
        clerks=[clerk_staff],
    )


# --- JSON API -------------------------------------------------------------------------------------

STAFF_CREATE = {
    "employee_no": "H0001",
    "name": "新员工",
    "hall": "H001",
    "post": "clerk",
    "employment_type": "formal",
    "hire_date": "2026-01-05",
}


@pytest.mark.parametrize(
    "field,kind",
    [("name", kind) for kind in ("nul", "lone-surrogate", "very-long")]
    + [(field, kind) for field in ("employee_no", "phone") for kind in sorted(STRINGS)],
)
def test_hostile_strings_in_a_staff_record_are_refused(cast, field, kind):
    body = json.dumps({**STAFF_CREATE, field: STRINGS[kind]})
    before = counts()
    response = client_for(cast.hall_manager).post("/api/v1/staff/", body, content_type="application/json")
    assert_refused(response, before)


@pytest.mark.parametrize("kind", ["rtl-override", "emoji-4-byte", "script", "sql", "zero-width"])
def test_odd_but_valid_names_are_stored_verbatim_and_never_run(cast, kind):
    response = client_for(cast.hall_manager).post(
        "/api/v1/staff/",
        json.dumps({**STAFF_CREATE, "name": STRINGS[kind][:60]}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content[:300]
    assert Staff.objects.get(employee_no="H0001").name == STRINGS[kind][:60]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("[1, 2, 3]", id="array"),
        pytest.param('"just a string"', id="string"),
        pytest.param("null", id="null"),
        pytest.param('{"name": ', id="truncated"),
        pytest.param("{'name': 'x'}", id="single-quotes"),
        pytest.param('{"name": {"nested": [1, {"a": null}]}}', id="object-for-string"),
        pytest.param('{"name": ["x"]}', id="array-for-string"),
        pytest.param('{"star_level": "five"}', id="string-for-integer"),
        pytest.param('{"star_level": 1e400}', id="huge-number"),
        pytest.param('{"star_level": NaN}', id="nan"),
        pytest.param('{"hire_date": 20260105}', id="number-for-date"),
        pytest.param('{"hire_date": "2026-02-30"}', id="impossible-date"),
        pytest.param('{"post": "ceo"}', id="unknown-choice"),
        pytest.param("[" * 5000 + "]" * 5000, id="deeply-nested"),
        pytest.param("\xff\xfe{}", id="not-utf8"),
    ],
)
def test_malformed_json_for_a_staff_patch_is_refused(cast, clerk_staff, body):
    before = counts()
    response = client_for(cast.hall_manager).patch(
        f"/api/v1/staff/{clerk_staff.pk}/",
        body.encode("latin-1", "surrogatepass"),
        content_type="application/json",
    )
    assert_refused(response, before)
    assert Staff.objects.get(pk=clerk_staff.pk).name == clerk_staff.name


def test_an_oversized_json_body_is_refused(cast, clerk_staff):
    before = counts()
    body = json.dumps({"name": "x", "padding": "y" * (3 * 1024 * 1024)})
    response = client_for(cast.hall_manager).patch(
        f"/api/v1/staff/{clerk_staff.pk}/", body, content_type="application/json"
    )
    assert_refused(response, before)


@pytest.mark.parametrize("kind", ["nul", "lone-surrogate", "very-long"])
@pytest.mark.parametrize("field", ["subject", "customer_name", "description"])
def test_hostile_strings_in_a_complaint_intake_are_refused(cast, field, kind):
    body = {
        "hall": "H001",
        "channel": "hotline",
        "customer_name": "张三",
        "customer_phone": "13812345678",
        "category": "billing",
        "subject": "话费多扣",
        field: STRINGS[kind],
    }
    before = counts()
    response = client_for(cast.hall_manager).post(
        "/api/v1/complaints/", json.dumps(body), content_type="application/json"
    )
    assert_refused(response, before)


@pytest.mark.parametrize("kind", ["nul", "lone-surrogate", "very-long"])
def test_hostile_strings_in_a_complaint_action_are_refused(cast, complaint, kind):
    before = counts()
    response = client_for(cast.hall_manager).post(
        f"/api/v1/complaints/{complaint.pk}/pause/",
        json.dumps({"version": complaint.version, "reason": STRINGS[kind]}),
        content_type="application/json",
    )
    assert_refused(response, before)


@pytest.mark.parametrize("kind", ["nul", "lone-surrogate", "very-long"])
def test_hostile_strings_in_a_discipline_record_are_refused(cast, clerk_staff, kind):
    before = counts()
    response = client_for(cast.hall_manager).post(
        "/api/v1/assessment/discipline-records/",
        json.dumps(
            {
                "staff": clerk_staff.employee_no,
                "occurred_on": "2026-10-05",
                "kind": "late",
                "note": STRINGS[kind],
            }
        ),
        content_type="application/json",
    )
    assert_refused(response, before)


@pytest.mark.parametrize(
    "query",
    [
        "post=%00&hall=%00",
        "post=%ED%A0%80&hall=%ED%A0%80",
        "hall=%E2%80%AEevil",
        "updated_since=%00",
        "cursor=%00%FF",
    ],
    ids=["nul", "lone-surrogate-bytes", "rtl-override", "nul-datetime", "garbage-cursor"],
)
def test_hostile_query_parameters_are_refused_or_ignored(cast, query):
    response = client_for(cast.hall_manager).get(f"/api/v1/staff/?{query}")
    assert response.status_code in (200, 400), response.content[:300]


# --- Imports --------------------------------------------------------------------------------------


def xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


EVAL_HEADER = "device_txn_id,employee_no,hall_code,rated_at,rating\n"
KPI_HEADER = "employee_no,hall_code,day,transactions,recommendations,sales\n"
BAD_FILES = {
    "empty.csv": b"",
    "header-only-garbage.csv": b"\x00\x01\x02\x03",
    "not-utf8.csv": None,  # filled per import below
    "nul-in-row.csv": None,
    "unbalanced-quotes.csv": None,
    "too-many-columns.csv": None,
    "formula-injection.csv": None,
    "binary.xlsx": b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
    "csv-named.xlsx": b"a,b,c\n1,2,3\n",
    "truncated.xlsx": None,
    "formula-cells.xlsx": None,
    "wrong-header.xlsx": None,
    "emoji.csv": None,
}


def bad_file(name: str, header: str) -> bytes:
    columns = header.strip().split(",")
    row = ",".join(["C0001", "H001"] + ["x"] * (len(columns) - 2))
    return {
        "not-utf8.csv": lambda: (header + row).encode("gb18030")[:-1] + b"\xff\xfe\n",
        "nul-in-row.csv": lambda: (header + row.replace("x", "1\x002", 1) + "\n").encode(),
        "unbalanced-quotes.csv": lambda: (header + '"C0001,H001' + ",x" * (len(columns) - 2) + "\n").encode(),
        "too-many-columns.csv": lambda: (header + row + ",extra,extra\n").encode(),
        "formula-injection.csv": lambda: (
            header + row.replace("x", '=HYPERLINK("http://evil")', 1) + "\n"
        ).encode(),
        "truncated.xlsx": lambda: xlsx([columns, ["C0001", "H001"]])[:200],
        "formula-cells.xlsx": lambda: xlsx([columns, ["=1/0", "H001", *["=A2*2"] * (len(columns) - 2)]]),
        "wrong-header.xlsx": lambda: xlsx([["'; DROP TABLE x; --", "<script>"], ["1", "2"]]),
        "emoji.csv": lambda: (header + row.replace("x", "😀", 1) + "\n").encode(),
    }.get(name, lambda: BAD_FILES[name])()


@pytest.mark.parametrize("name", sorted(BAD_FILES))
@pytest.mark.parametrize(
    "url,header",
    [
        ("/api/v1/assessment/imports/evaluations/", EVAL_HEADER),
        ("/api/v1/assessment/imports/kpis/", KPI_HEADER),
    ],
    ids=["evaluations", "kpis"],
)
def test_malformed_import_files_are_refused_with_a_report(cast, clerk_staff, url, header, name):
    from django.core.files.uploadedfile import SimpleUploadedFile

    before = counts()
    upload = SimpleUploadedFile(name, bad_file(name, header))
    response = client_for(cast.branch_manager).post(url, {"file": upload})
    assert_refused(response, before)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"\xff\xfe\x00h\x00o\x00u\x00r", id="utf16"),
        pytest.param(
            b"hour,tickets_issued,transactions,avg_handling_seconds\n2026-03-02 09:00,1\x002,3,4\n", id="nul"
        ),
        pytest.param(
            b'hour,tickets_issued,transactions,avg_handling_seconds\n"2026-03-02 09:00,1,2,3\n', id="quotes"
        ),
        pytest.param(
            b"hour,tickets_issued,transactions,avg_handling_seconds\n2026-03-02 09:00,1e999,2,3\n", id="huge"
        ),
        pytest.param(
            b"hour,tickets_issued,transactions,avg_handling_seconds\n9999-99-99 99:99,-1,-2,-3\n",
            id="nonsense",
        ),
        pytest.param(b"PK\x03\x04" + b"\x00" * 100, id="zip"),
        pytest.param(b"hour;tickets\n" + b"x;" * 200_000, id="wrong-delimiter-long-line"),
    ],
)
def test_malformed_traffic_csv_is_refused_on_the_page(cast, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    before = counts()
    response = client_for(cast.hall_manager).post(
        f"/staff/rosters/hall/{cast.hall.pk}/traffic/", {"file": SimpleUploadedFile("traffic.csv", content)}
    )
    assert_refused(response, before)


PNG = b"\x89PNG\r\n\x1a\n"
JPEG = b"\xff\xd8\xff"


@pytest.mark.parametrize(
    "name,content",
    [
        pytest.param("photo.jpg", b"<script>alert(1)</script>", id="html-as-jpg"),
        pytest.param("photo.png", b"GIF89a" + b"\x00" * 50, id="gif-as-png"),
        pytest.param("photo.png", PNG + b"<?php system($_GET['c']); ?>", id="png-magic-then-php"),
        pytest.param("photo.jpg", JPEG + b"\x00" * 100, id="jpeg-magic-then-garbage"),
        pytest.param("letter.pdf", b"MZ\x90\x00" + b"\x00" * 100, id="exe-as-pdf"),
        pytest.param("run.exe", b"MZ\x90\x00", id="exe"),
        pytest.param("photo.svg", b"<svg onload=alert(1)>", id="svg"),
        pytest.param("empty.png", b"", id="empty"),
        pytest.param("photo.png\x00.exe", PNG + b"\x00" * 10, id="nul-in-name"),
        pytest.param("\u202egnp.exe", PNG, id="rtl-name"),
    ],
)
def test_attachments_that_are_not_what_they_claim_are_refused(cast, complaint, name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    before = counts()
    response = client_for(cast.clerk).post(
        f"/complaints/{complaint.pk}/attachments/",
        {"attach-version": complaint.version, "attach-file": SimpleUploadedFile(name, content)},
    )
    assert_refused(response, before)
