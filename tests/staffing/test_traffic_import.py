import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied

from halls.models import AuditEvent
from staffing.exceptions import TrafficImportInvalid
from staffing.models import TrafficRecord
from staffing.roster_services import TrafficImportResult, import_traffic_csv
from tests.staffing.rostering.fixtures import english  # noqa: F401 -- autouse: messages in English

pytestmark = pytest.mark.django_db
ZONE = ZoneInfo("Asia/Shanghai")

GOOD = (
    "hour,tickets_issued,transactions,avg_handling_seconds\n"
    "2026-03-02 09:00,40,38,420\n"
    "2026-03-02 10:00,61,60,480\n"
    "2026-03-02T11:00:00+08:00,55,50,450\n"
)


def test_a_clean_file_is_imported_in_the_halls_time_zone(hall, hall_manager):
    result = import_traffic_csv(actor=hall_manager, hall=hall, content=GOOD.encode("utf-8-sig"))
    assert result == TrafficImportResult(created=3, updated=0, unchanged=0)
    first = TrafficRecord.objects.get(hall=hall, hour=datetime.datetime(2026, 3, 2, 9, tzinfo=ZONE))
    assert (first.tickets_issued, first.transactions, first.avg_handling_seconds) == (40, 38, 420)
    assert AuditEvent.objects.get(action="staffing.traffic.imported").data == {
        "created": 3,
        "updated": 0,
        "unchanged": 0,
    }


def test_importing_the_same_file_again_changes_nothing(hall, hall_manager):
    import_traffic_csv(actor=hall_manager, hall=hall, content=GOOD)
    before = list(TrafficRecord.objects.order_by("hour").values_list("hour", "tickets_issued", "updated_at"))
    assert import_traffic_csv(actor=hall_manager, hall=hall, content=GOOD) == TrafficImportResult(0, 0, 3)
    after = list(TrafficRecord.objects.order_by("hour").values_list("hour", "tickets_issued", "updated_at"))
    assert before == after


def test_a_corrected_file_updates_only_the_changed_hours(hall, hall_manager):
    import_traffic_csv(actor=hall_manager, hall=hall, content=GOOD)
    corrected = GOOD.replace("61,60,480", "62,60,480")
    assert import_traffic_csv(actor=hall_manager, hall=hall, content=corrected) == TrafficImportResult(
        0, 1, 2
    )


def test_any_bad_row_rejects_the_whole_file_with_every_row_error(hall, hall_manager):
    bad = (
        "hall,hour,tickets_issued,transactions,avg_handling_seconds\n"
        "H001,2026-03-02 09:00,40,38,420\n"
        "H001,2026-03-02 09:30,1,1,1\n"
        "H001,2026-03-02 10:00,-1,x,99999\n"
        "H002,2026-03-02 11:00,1,1,1\n"
        "H001,2026-03-02 09:00,40,38,420\n"
    )
    with pytest.raises(TrafficImportInvalid) as info:
        import_traffic_csv(actor=hall_manager, hall=hall, content=bad)
    assert info.value.message == "6 error(s) in the file; nothing was imported."
    assert info.value.errors == [
        (3, "hour", "not a whole hour like 2026-03-02 09:00"),
        (4, "tickets_issued", "must be a whole number from 0 to 100000"),
        (4, "transactions", "must be a whole number from 0 to 100000"),
        (4, "avg_handling_seconds", "must be a whole number from 0 to 14400"),
        (5, "hall", "belongs to hall H002, not this one"),
        (6, "hour", "repeats row 2"),
    ]
    assert not TrafficRecord.objects.exists()


def test_a_file_without_the_expected_columns_is_refused(hall, hall_manager):
    with pytest.raises(TrafficImportInvalid, match="Missing columns: transactions, avg_handling_seconds"):
        import_traffic_csv(actor=hall_manager, hall=hall, content="hour,tickets_issued\n2026-03-02 09:00,1\n")


def test_clerks_cannot_import_traffic(hall, clerk):
    with pytest.raises(PermissionDenied):
        import_traffic_csv(actor=clerk, hall=hall, content=GOOD)
