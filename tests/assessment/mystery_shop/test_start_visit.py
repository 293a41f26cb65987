"""Starting a visit chooses its checklist among the versions in force: the only one is taken (and
preselected on the page); with several in force the inspector must choose; a draft or a retired
version is refused beside the field. A race with an activation retiring the chosen version never
starts a visit on it."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from assessment.mystery_shop import checklist_services as checklists
from assessment.mystery_shop import services
from assessment.mystery_shop.exceptions import VisitInvalid
from assessment.mystery_shop.models import ChecklistTemplate, Visit
from halls.models import AuditEvent
from tests.assessment.mystery_shop.factories import default_template, phone_checklist
from tests.concurrency import row_committed_while_blocked
from tests.pages import error_is_beside_field, field_error

NEW = reverse("assessment:mystery:visit-new")
NOT_IN_FORCE = "This checklist is not in force; choose one of the checklists in force."
CHOOSE = "Several checklists are in force: choose the one this inspection uses."


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def an_hour_ago() -> datetime.datetime:
    return timezone.now() - datetime.timedelta(hours=1)


def start_form(hall, **fields) -> dict:
    when = timezone.localtime(an_hour_ago()).strftime("%Y-%m-%dT%H:%M")
    return {"hall": hall.pk, "visited_at": when, "mode": "covert", **fields}


def template_options(response) -> list[tuple[str, bool]]:
    """The checklist select's options as (value, selected)."""
    html = response.content.decode()
    select = re.search(r'<select[^>]*id="id_template"[^>]*>(.*?)</select>', html, re.S).group(1)
    return [
        (value, bool(selected))
        for value, selected in re.findall(r'<option value="([^"]*)"( selected)?', select)
    ]


def started_audit_rows() -> int:
    return AuditEvent.objects.filter(action="mystery.visit.started").count()


# --- One checklist in force: the default --------------------------------------------------------


@pytest.mark.django_db
def test_with_one_checklist_in_force_a_visit_started_without_choosing_uses_it(inspector, hall):
    current = default_template()
    visit = services.start_visit(actor=inspector, hall=hall, visited_at=an_hour_ago(), mode="covert")
    assert visit.template == current


@pytest.mark.django_db
def test_with_one_checklist_in_force_the_page_preselects_it_and_starts_with_it(client, inspector, hall):
    current = default_template()
    client.force_login(inspector)
    page = client.get(NEW)
    assert page.status_code == 200
    assert template_options(page) == [(str(current.pk), True)]  # no empty choice: nothing to choose
    response = client.post(NEW, start_form(hall, template=current.pk))
    assert response.status_code == 303
    visit = Visit.objects.get()
    assert response["Location"] == reverse("assessment:mystery:visit-entry", kwargs={"pk": visit.pk})
    assert (visit.template, visit.mode) == (current, "covert")


@pytest.mark.django_db
def test_a_newer_version_put_in_force_replaces_the_default_of_its_name(inspector, hall):
    old = default_template()
    new = checklists.create_template_version(actor=inspector, template=old)
    checklists.activate_template(actor=inspector, template=new)
    visit = services.start_visit(actor=inspector, hall=hall, visited_at=an_hour_ago(), mode="overt")
    assert visit.template == new


# --- Several in force: the inspector chooses ----------------------------------------------------


@pytest.mark.django_db
def test_with_two_checklists_in_force_a_visit_without_a_choice_is_refused_and_nothing_is_saved(
    inspector, hall
):
    phone_checklist(inspector)
    with pytest.raises(VisitInvalid) as refused:
        services.start_visit(actor=inspector, hall=hall, visited_at=an_hour_ago(), mode="covert")
    assert (refused.value.field, refused.value.message) == ("template", CHOOSE)
    assert not Visit.objects.exists()
    assert started_audit_rows() == 0


@pytest.mark.django_db
def test_with_two_checklists_in_force_the_visit_uses_the_one_chosen(inspector, hall):
    phone = phone_checklist(inspector)
    hall_visit = services.start_visit(
        actor=inspector, hall=hall, visited_at=an_hour_ago(), mode="overt", template=default_template()
    )
    phone_visit = services.start_visit(
        actor=inspector, hall=hall, visited_at=an_hour_ago(), mode="covert", template=phone
    )
    assert (hall_visit.template, phone_visit.template) == (default_template(), phone)
    # A covert draft's audit row still names no hall (the hall's audit trail cannot reveal it).
    audit = AuditEvent.objects.get(action="mystery.visit.started", subject_id=str(phone_visit.pk))
    assert audit.hall is None


@pytest.mark.django_db
def test_with_two_checklists_in_force_the_page_offers_both_and_shows_the_error_beside_the_field(
    client, inspector, hall
):
    phone = phone_checklist(inspector)
    client.force_login(inspector)
    page = client.get(NEW)
    options = template_options(page)
    assert options[0] == ("", True)  # "Choose a checklist" shows: nothing is preselected
    assert sorted(options[1:]) == sorted([(str(phone.pk), False), (str(default_template().pk), False)])
    assert "Choose a checklist" in page.content.decode()
    refused = client.post(NEW, start_form(hall))
    assert refused.status_code == 400
    assert field_error(refused, "template") == CHOOSE
    assert error_is_beside_field(refused, "template")
    assert not Visit.objects.exists()
    chosen = client.post(NEW, start_form(hall, template=phone.pk))
    assert chosen.status_code == 303
    assert Visit.objects.get().template == phone


# --- A version not in force ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_draft_or_a_retired_version_is_refused(inspector, hall):
    old = default_template()
    draft = checklists.create_template_version(actor=inspector, template=old)
    for template in (draft, old):
        if template is old:
            checklists.activate_template(actor=inspector, template=draft)  # `old` steps down
        with pytest.raises(VisitInvalid) as refused:
            services.start_visit(
                actor=inspector, hall=hall, visited_at=an_hour_ago(), mode="overt", template=template
            )
        assert (refused.value.field, refused.value.message) == ("template", NOT_IN_FORCE)
    assert not Visit.objects.exists()
    assert started_audit_rows() == 0


@pytest.mark.django_db
def test_the_page_refuses_a_version_not_in_force_beside_the_field(client, inspector, hall):
    draft = checklists.create_template_version(actor=inspector, template=default_template())
    client.force_login(inspector)
    refused = client.post(NEW, start_form(hall, template=draft.pk))
    assert refused.status_code == 400
    assert field_error(refused, "template") == NOT_IN_FORCE
    assert error_is_beside_field(refused, "template")
    assert not Visit.objects.exists()


@pytest.mark.django_db
def test_with_no_checklist_in_force_a_visit_is_refused(inspector, hall):
    ChecklistTemplate.objects.filter(pk=default_template().pk).update(is_active=False)
    with pytest.raises(VisitInvalid) as refused:
        services.start_visit(actor=inspector, hall=hall, visited_at=an_hour_ago(), mode="overt")
    assert (refused.value.field, refused.value.message) == ("template", "No checklist is in force.")


@pytest.mark.django_db(transaction=True)
def test_a_visit_started_while_its_version_is_being_retired_waits_and_is_refused(inspector, hall):
    """The check that the version is in force and the visit's INSERT must not be split by an
    activation committing in between: the start waits for the activation's lock, then sees the
    version retired."""
    old = default_template()
    new = checklists.create_template_version(actor=inspector, template=old)

    def retire_old():  # what activate_template does, held uncommitted until the start is blocked
        list(ChecklistTemplate.objects.select_for_update().filter(name=old.name))
        ChecklistTemplate.objects.filter(pk=old.pk).update(is_active=False)
        ChecklistTemplate.objects.filter(pk=new.pk).update(is_active=True, first_in_force_at=timezone.now())

    with row_committed_while_blocked(retire_old), pytest.raises(VisitInvalid) as refused:
        services.start_visit(actor=inspector, hall=hall, visited_at=an_hour_ago(), mode="overt", template=old)
    assert refused.value.message == NOT_IN_FORCE
    assert not Visit.objects.exists()
