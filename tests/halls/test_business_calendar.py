"""The one business calendar (halls.business_calendar): sources in order (branch days, the
national table, the package), uncovered years, the CSV/package loader and its command, the
move of branch calendar days from complaints to halls, and set-based reads.

Dates of 2027 used here are test fixtures, not the State Council's calendar (not announced when
this was written): the point is that whatever is entered is applied.
"""

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext

from halls.business_calendar import calendar_map, uncovered_warning, uncovered_years
from halls.calendar_services import (
    StatutoryCalendarInvalid,
    load_statutory_calendar_csv,
    load_statutory_calendar_from_package,
)
from halls.models import AuditEvent, BranchCalendarDay, StatutoryCalendarDay
from tests.halls.factories import BranchFactory, UserFactory

TEST_2027 = "date,kind,name\n2027-01-01,holiday,Test holiday\n2027-01-04,holiday,Test holiday\n2027-01-09,makeup_workday,Test holiday\n"


@pytest.mark.django_db
def test_the_package_answers_for_a_year_it_covers():
    days = calendar_map(start=date(2026, 9, 28), end=date(2026, 10, 11))
    assert days.holidays == {date(2026, 10, d) for d in range(1, 8)}
    assert days.makeup_workdays == {date(2026, 10, 10)}
    assert days.day(date(2026, 10, 1)).name == "National Day"
    assert days.day(date(2026, 10, 1)).source == "package"
    assert days.uncovered_years == ()


@pytest.mark.django_db
def test_a_year_without_any_data_is_ordinary_and_reported():
    days = calendar_map(start=date(2026, 12, 28), end=date(2027, 1, 10))
    assert days.holidays == frozenset() and days.makeup_workdays == frozenset()
    assert days.uncovered_years == (2027,)
    assert uncovered_years(date(2026, 12, 1), date(2027, 1, 31)) == [2027]
    assert uncovered_years(date(2026, 1, 1), date(2026, 12, 31)) == []
    assert "2027" in uncovered_warning([2027]) and uncovered_warning([]) == ""


@pytest.mark.django_db
def test_national_table_days_apply_and_cover_their_year():
    load_statutory_calendar_csv(actor=None, content=TEST_2027)
    days = calendar_map(start=date(2027, 1, 1), end=date(2027, 1, 31))
    assert days.holidays == {date(2027, 1, 1), date(2027, 1, 4)}
    assert days.makeup_workdays == {date(2027, 1, 9)}
    assert days.day(date(2027, 1, 4)).source == "national"
    assert days.day(date(2027, 1, 4)).name == "Test holiday"
    assert days.uncovered_years == ()
    assert uncovered_years(date(2027, 1, 1), date(2027, 12, 31)) == []


@pytest.mark.django_db
def test_the_national_table_beats_the_package_for_a_date_it_names():
    StatutoryCalendarDay.objects.create(date=date(2026, 10, 10), kind="holiday", name="Changed")
    days = calendar_map(start=date(2026, 10, 1), end=date(2026, 10, 11))
    assert date(2026, 10, 10) in days.holidays  # the package says make-up working day
    assert date(2026, 10, 2) in days.holidays  # other dates of the year still come from the package


@pytest.mark.django_db
def test_a_branch_day_beats_the_national_calendar():
    branch = BranchFactory()
    load_statutory_calendar_csv(actor=None, content=TEST_2027)
    BranchCalendarDay.objects.create(branch=branch, date=date(2027, 1, 4), is_working_day=True)
    BranchCalendarDay.objects.create(
        branch=branch, date=date(2027, 1, 9), is_working_day=False, note="Typhoon"
    )
    BranchCalendarDay.objects.create(branch=branch, date=date(2027, 1, 16), is_working_day=True)
    days = calendar_map(start=date(2027, 1, 1), end=date(2027, 1, 31), branch_id=branch.pk)
    assert days.holidays == {date(2027, 1, 1), date(2027, 1, 9)}
    assert days.makeup_workdays == {date(2027, 1, 16)}  # a Saturday the branch works
    assert days.day(date(2027, 1, 4)).working_override is True  # a weekday worked despite the holiday
    assert days.day(date(2027, 1, 9)).name == "Typhoon"
    national = calendar_map(start=date(2027, 1, 1), end=date(2027, 1, 31))
    assert national.holidays == {date(2027, 1, 1), date(2027, 1, 4)}  # other branches: the national days


@pytest.mark.django_db
def test_reading_a_range_costs_two_queries_whatever_its_length():
    branch = BranchFactory()
    load_statutory_calendar_csv(actor=None, content=TEST_2027)
    for start, end in ((date(2027, 1, 1), date(2027, 1, 7)), (date(2026, 1, 1), date(2027, 12, 31))):
        with CaptureQueriesContext(connection) as queries:
            calendar_map(start=start, end=end, branch_id=branch.pk)
        assert len(queries) == 2


# --- The loader -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_csv_loader_refuses_a_bad_file_with_every_row_error_and_writes_nothing():
    StatutoryCalendarDay.objects.create(date=date(2027, 2, 1), kind="holiday", name="Kept")
    bad = (
        "date,kind,name\n"
        "2027-01-01,holiday,Test\n"
        "2027-13-01,holiday,Test\n"  # no such month
        "2027-01-05,festival,Test\n"  # unknown kind
        "2027-01-06,makeup_workday,Test\n"  # a Wednesday cannot be a make-up working day
        "2027-01-01,holiday,Again\n"  # repeats row 2
    )
    with pytest.raises(StatutoryCalendarInvalid) as info:
        load_statutory_calendar_csv(actor=None, content=bad)
    assert [(row, column) for row, column, _m in info.value.errors] == [
        (3, "date"),
        (4, "kind"),
        (5, "kind"),
        (6, "date"),
    ]
    assert list(StatutoryCalendarDay.objects.values_list("name", flat=True)) == ["Kept"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content",
    [b"\xff\xfe\x00bad", "when,what\n2027-01-01,holiday\n", "date,kind,name\n", b"PK\x03\x04binary"],
    ids=["not-utf8", "wrong-columns", "no-rows", "zip"],
)
def test_the_csv_loader_refuses_files_that_are_not_a_calendar(content):
    with pytest.raises(StatutoryCalendarInvalid):
        load_statutory_calendar_csv(actor=None, content=content)
    assert not StatutoryCalendarDay.objects.exists()


@pytest.mark.django_db
def test_loading_a_year_again_replaces_that_year_only_and_is_audited():
    load_statutory_calendar_from_package(actor=None, years=[2026])
    package_rows = StatutoryCalendarDay.objects.filter(date__year=2026).count()
    assert package_rows > 30
    load_statutory_calendar_csv(actor=None, content=TEST_2027)
    load_statutory_calendar_csv(actor=None, content="date,kind,name\n2027-01-01,holiday,Only\n")
    assert list(StatutoryCalendarDay.objects.filter(date__year=2027).values_list("date", "name")) == [
        (date(2027, 1, 1), "Only")
    ]
    assert StatutoryCalendarDay.objects.filter(date__year=2026).count() == package_rows
    assert AuditEvent.objects.filter(action="halls.statutory_calendar.loaded").count() == 3


@pytest.mark.django_db
def test_the_package_fill_refuses_a_year_the_package_does_not_cover():
    with pytest.raises(StatutoryCalendarInvalid, match="2099"):
        load_statutory_calendar_from_package(actor=None, years=[2026, 2099])
    assert not StatutoryCalendarDay.objects.exists()


@pytest.mark.django_db
def test_the_command_loads_a_file_and_reports_row_errors(tmp_path):
    good = tmp_path / "2027.csv"
    good.write_text(TEST_2027, encoding="utf-8")
    out = StringIO()
    call_command("load_statutory_calendar", str(good), stdout=out)
    assert "2 holiday(s), 1 make-up working day(s)" in out.getvalue()
    bad = tmp_path / "bad.csv"
    bad.write_text("date,kind,name\n2027-02-30,holiday,X\n", encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("load_statutory_calendar", str(bad), stderr=err)
    assert "row 2 date" in err.getvalue()
    call_command("load_statutory_calendar", "--from-package", "2025", stdout=out)
    assert StatutoryCalendarDay.objects.filter(date=date(2025, 10, 1), kind="holiday").exists()
    assert StatutoryCalendarDay.objects.filter(date__year=2027).count() == 3


# --- The move from complaints ---------------------------------------------------------------

BEFORE = [("complaints", "0003_move_notifications_to_halls"), ("halls", "0004_notification")]
AFTER = [("complaints", "0004_move_branch_calendar_days_to_halls"), ("halls", "0005_business_calendar")]


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_existing_branch_calendar_days():
    branch = BranchFactory()
    user = UserFactory()
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old_apps = executor.loader.project_state(BEFORE).apps
    Old = old_apps.get_model("complaints", "BranchCalendarOverride")
    Old.objects.create(
        branch_id=branch.pk, date=date(2026, 12, 1), is_working_day=False, note="台风", created_by_id=user.pk
    )
    Old.objects.create(branch_id=branch.pk, date=date(2026, 12, 5), is_working_day=True, note="")
    Old.objects.filter(date=date(2026, 12, 1)).update(created_at="2026-01-02T03:04:05+00:00")
    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    executor.loader.build_graph()
    rows = list(
        BranchCalendarDay.objects.order_by("date").values_list(
            "branch_id", "date", "is_working_day", "note", "created_by_id"
        )
    )
    assert rows == [
        (branch.pk, date(2026, 12, 1), False, "台风", user.pk),
        (branch.pk, date(2026, 12, 5), True, "", None),
    ]
    assert BranchCalendarDay.objects.get(date=date(2026, 12, 1)).created_at.year == 2026
    assert BranchCalendarDay.objects.get(date=date(2026, 12, 1)).created_at.month == 1
    # Back again: the rows return to complaints.
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    Old = executor.loader.project_state(BEFORE).apps.get_model("complaints", "BranchCalendarOverride")
    assert Old.objects.count() == 2
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
