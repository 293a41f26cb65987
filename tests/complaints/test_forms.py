from datetime import date

import pytest

from complaints.forms import AccountabilityShareFormSet, IntakeForm, SummaryFilterForm
from tests.staffing.factories import StaffFactory


@pytest.mark.django_db
def test_the_intake_form_offers_visible_halls_and_refuses_clerks_of_another_hall(cast, clerk_staff):
    stranger = StaffFactory(hall=cast.other_hall)
    form = IntakeForm(user=cast.branch_manager)
    assert set(form.fields["hall"].queryset) == {cast.hall, cast.other_hall}
    data = {
        "hall": cast.hall.pk,
        "channel": "hall_counter",
        "customer_name": "张三",
        "customer_phone": "13812345678",
        "category": "billing",
        "severity": "normal",
        "subject": "多扣费",
        "clerks": [clerk_staff.pk, stranger.pk],
    }
    form = IntakeForm(data, user=cast.branch_manager)
    assert not form.is_valid() and "clerks" in form.errors
    assert IntakeForm({**data, "clerks": [clerk_staff.pk]}, user=cast.branch_manager).is_valid()
    assert list(IntakeForm(user=cast.hall_manager).fields["hall"].queryset) == [cast.hall]


@pytest.mark.django_db
def test_the_share_formset_names_each_clerk_once(received, subject_clerk):
    data = {
        "form-TOTAL_FORMS": "2",
        "form-INITIAL_FORMS": "0",
        "form-0-staff": subject_clerk.pk,
        "form-0-deduction": "2",
        "form-1-staff": subject_clerk.pk,
        "form-1-deduction": "1",
    }
    formset = AccountabilityShareFormSet(data, form_kwargs={"complaint": received})
    assert not formset.is_valid()
    data["form-TOTAL_FORMS"] = "1"
    formset = AccountabilityShareFormSet(data, form_kwargs={"complaint": received})
    assert formset.is_valid() and [(s.pk, str(d)) for s, d in formset.shares()] == [(subject_clerk.pk, "2")]


def test_the_month_filter_reads_year_and_month():
    form = SummaryFilterForm({"month": "2026-11"})
    assert form.is_valid() and form.cleaned_data["month"] == date(2026, 11, 1)
    assert not SummaryFilterForm({"month": "November"}).is_valid()
