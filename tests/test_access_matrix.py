"""Every URL name × role × own/foreign hall answers as the table says (pretix test_permissions).

The table ACCESS is keyed by URL name. A row gives the expected status per role: one number, or
(own, foreign) when the URL takes an object — `kwargs(cast, hall)` builds the URL's kwargs for an
object in `hall`: the cast's `hall` ("own": the hall manager's and the clerk's hall, in the branch
of the branch manager, the inspector and the HR client) or `foreign_hall` (another branch, seen
by the superuser only). `other_hall_manager` manages a hall of the same branch, so for them the
"own" object belongs to another hall.

A URL name without a row fails the test: each app adds rows here for the URLs it adds.
"""

import datetime
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import get_resolver, reverse
from django.utils import timezone

from assessment.models import AssessmentScheme, EliminationList, EliminationRule, MonthlyResult
from assessment.mystery_shop import services as mystery_services
from assessment.mystery_shop.models import Rectification as MysteryRectification
from assessment.mystery_shop.models import Visit as MysteryVisit
from assessment.services import compute_month_results, publish_results
from assessment.services.elimination import (
    confirm_elimination_list,
    elimination_version,
    file_appeal,
    generate_elimination_list,
    start_review,
)
from complaints.models import ComplaintAttachment
from halls.models import ApiClient, OpeningHours, WebhookDelivery, WebhookSubscription
from staffing.models import Roster, ShiftType
from tests.complaints.factories import ComplaintFactory, tiny_png
from tests.halls.factories import NotificationFactory, UserFactory, make_api_client
from tests.staffing.factories import AssignmentFactory, RosterFactory, ShiftTypeFactory, StaffFactory, qualify
from tests.training.factories import (
    AttendanceFactory,
    ExamResultFactory,
    ImprovementPlanFactory,
    OnboardingProgramFactory,
    TrainingSessionFactory,
)

ROLES = (
    "anonymous",
    "branch_manager",
    "inspector",
    "hall_manager",
    "other_hall_manager",
    "clerk",
    "hr_client",
    "admin_user",
)
EXCLUDED_NAMESPACES = {"admin"}
EXCLUDED_NAMES = {"set_language"}  # django.conf.urls.i18n

Expected = int | tuple[int, int]


@dataclass(frozen=True)
class Access:
    expected: dict[str, Expected]
    kwargs: Callable[[SimpleNamespace, object], dict] | None = None
    method: str = "get"
    data: Callable[[SimpleNamespace, object], dict] | None = None  # POST body (JSON for API URLs)
    json: bool = False
    query: Callable[[SimpleNamespace, object], str] | None = None  # query string for the URL


def every(status: Expected, **overrides: Expected) -> dict[str, Expected]:
    """The same answer for every role, except the ones named."""
    return {role: overrides.get(role, status) for role in ROLES}


def api_client_pk(cast, hall):
    return {"pk": make_api_client(regions=[hall.region], name=f"client-{ApiClient.objects.count()}")[0].pk}


def webhook_subscription_pk(cast, hall):
    client = ApiClient.objects.get(pk=api_client_pk(cast, hall)["pk"])
    return {
        "pk": WebhookSubscription.objects.create(
            client=client, url="https://hr.example.invalid/", secret="s", events=["staff.changed"]
        ).pk
    }


def webhook_delivery_pk(cast, hall):
    subscription = WebhookSubscription.objects.get(pk=webhook_subscription_pk(cast, hall)["pk"])
    return {
        "pk": WebhookDelivery.objects.create(
            subscription=subscription,
            event_id=uuid.uuid4(),
            event="staff.changed",
            payload={},
            status="failed",
            next_attempt_at=None,
        ).pk
    }


def hall_pk(cast, hall):
    return {"pk": hall.pk}


def clerk_notification_pk(cast, hall):
    """A notification to the cast's clerk about `hall`: only the clerk may mark it read."""
    return {"pk": NotificationFactory(recipient=cast.clerk, hall=hall).pk}


def new_staff_pk(cast, hall):
    return {"pk": StaffFactory(hall=hall).pk}


def shift_type_pk(cast, hall):
    return {"pk": ShiftTypeFactory(hall=hall).pk}


def published_roster_pk(cast, hall):
    return {"pk": RosterFactory(hall=hall, status=Roster.Status.PUBLISHED, published_at=timezone.now()).pk}


def draft_roster_pk(cast, hall):
    # No open hours in the frozen requirement: nothing to cover, so the empty draft is publishable.
    return {"pk": RosterFactory(hall=hall, requirement={}).pk}


def assignment_pk(cast, hall):
    roster = RosterFactory(hall=hall, status=Roster.Status.PUBLISHED, published_at=timezone.now())
    staff = StaffFactory(hall=hall)
    return {"pk": AssignmentFactory(roster=roster, staff=staff, shift_type=ShiftTypeFactory(hall=hall)).pk}


def draft_roster_cell(cast, hall):
    roster = RosterFactory(hall=hall, requirement={})
    return {"pk": roster.pk, "staff_pk": StaffFactory(hall=hall).pk, "day": roster.period_start}


def compare_with_previous_version(cast, hall):
    roster = Roster.objects.filter(hall=hall).order_by("-pk").first()
    older = RosterFactory(
        hall=hall,
        status=Roster.Status.SUPERSEDED,
        published_at=timezone.now(),
        period_start=roster.period_start,
    )
    return f"with={older.pk}"


def training_session_pk(cast, hall):
    return {"pk": TrainingSessionFactory(halls=[hall]).pk}


def training_program_pk(cast, hall):
    return {"pk": OnboardingProgramFactory().pk}


def attendance_pk(cast, hall):
    return {
        "pk": AttendanceFactory(
            session=TrainingSessionFactory(halls=[hall]), staff=StaffFactory(hall=hall)
        ).pk
    }


def exam_result_pk(cast, hall):
    return {"pk": ExamResultFactory(staff=StaffFactory(hall=hall)).pk}


def qualification_pk(cast, hall):
    return {"pk": qualify(StaffFactory(hall=hall)).pk}


def improvement_plan_pk(cast, hall):
    return {"pk": ImprovementPlanFactory(staff=StaffFactory(hall=hall)).pk}


def staff_and_program(cast, hall):
    return {"pk": StaffFactory(hall=hall).pk, "program_pk": OnboardingProgramFactory().pk}


LOGIN = 302  # login required: pages redirect to the login page (token clients have no session)
NO_TOKEN = 401  # the API asks for a token
SEE_OTHER = 303  # a page's POST answered with a redirect to the page that shows the outcome

PAGE_LIST = every(200, anonymous=LOGIN, hr_client=LOGIN)
ADMIN_ONLY = every(403, anonymous=LOGIN, hr_client=LOGIN, admin_user=200)
ADMIN_ONLY_OBJECT = every(
    (403, 403), anonymous=(LOGIN, LOGIN), hr_client=(LOGIN, LOGIN), admin_user=(200, 200)
)
HALL_SEEN = every((200, 404), anonymous=(LOGIN, LOGIN), other_hall_manager=(404, 404), admin_user=(200, 200))
# Rostering pages of a hall that only its managers and branch management may use.
ROSTER_MANAGE = {
    **HALL_SEEN,
    "inspector": (403, 404),
    "clerk": (403, 404),
    "hr_client": (LOGIN, LOGIN),
}


OCTOBER = datetime.date(2026, 10, 1)


def roster_import_body(cast):
    """A one-row roster file for the cast's hall that breaks no rule the empty roster does not."""
    ShiftType.objects.get_or_create(
        hall=cast.hall,
        code="IMP",
        defaults={"name": "Import", "start": datetime.time(9), "end": datetime.time(17)},
    )
    OpeningHours.objects.bulk_create(
        [
            OpeningHours(hall=cast.hall, weekday=d, opens_at=datetime.time(9), closes_at=datetime.time(17))
            for d in range(7)
        ],
        ignore_conflicts=True,
    )
    person = StaffFactory(hall=cast.hall)
    content = f"staff,date,shift,post\n{person.employee_no},2026-03-02,IMP,guide\n".encode()
    return {
        "hall": cast.hall.code,
        "period_start": "2026-03-02",
        "period_end": "2026-03-08",
        "file": SimpleUploadedFile("roster.csv", content, content_type="text/csv"),
    }


def roster_generate_body(cast):
    """A rotation of the cast's hall's day shift (a hall without shift types gets no roster)."""
    ShiftType.objects.get_or_create(
        hall=cast.hall,
        code="D",
        defaults={"name": "Day", "start": datetime.time(9), "end": datetime.time(17)},
    )
    return {
        "hall": cast.hall.code,
        "period_start": "2026-03-02",
        "period_end": "2026-03-08",
        "method": "rotation",
        "rotation": {"kind": "rolling", "cycle": ["D", "D", "D", "D", "D", None, None]},
    }


def published_result_pk(cast, hall):
    """The published October result of a clerk of `hall` (its branch computed and published)."""
    staff = StaffFactory(hall=hall)
    branch = hall.region.parent
    run = compute_month_results(branch=branch, month=OCTOBER)
    publish_results(run=run, actor=cast.admin_user)
    return {"pk": MonthlyResult.objects.get(run=run, staff=staff).pk}


def draft_run_pk(cast, hall):
    StaffFactory(hall=hall)
    return {"pk": compute_month_results(branch=hall.region.parent, month=OCTOBER).pk}


def elimination_entry(cast, hall, status, *, appeal=False):
    """An entry of a new clerk of `hall` on the October list of its branch, the list in `status`
    (every total is 0: all tied at the bottom of each hall, so everyone is listed)."""
    staff = StaffFactory(hall=hall)
    branch = hall.region.parent
    EliminationRule.objects.get_or_create(branch=branch, defaults={"bottom_per_hall": 1})
    run = compute_month_results(branch=branch, month=OCTOBER)
    publish_results(run=run, actor=cast.admin_user)
    elimination_list = generate_elimination_list(run=run)
    if status != "generated":
        start_review(elimination_list=elimination_list, actor=cast.admin_user)
    entry = elimination_list.entries.get(staff=staff)
    filed = file_appeal(entry=entry, actor=cast.admin_user, reason="申诉") if appeal else None
    if status == "confirmed":
        confirm_elimination_list(elimination_list=elimination_list, actor=cast.admin_user)
    return entry, filed


def elimination_list_pk(status):
    return lambda cast, hall: {"pk": elimination_entry(cast, hall, status)[0].elimination_list_id}


def elimination_entry_pk(status):
    return lambda cast, hall: {"pk": elimination_entry(cast, hall, status)[0].pk}


def pending_appeal_pk(cast, hall):
    return {"pk": elimination_entry(cast, hall, "under_review", appeal=True)[1].pk}


# Branch-management actions on the elimination list: the permission first, then the object.
ELIMINATION_BRANCH_ACTION = every(
    (403, 403), anonymous=(NO_TOKEN, NO_TOKEN), branch_manager=(200, 404), admin_user=(200, 200)
)


def latest_list_version(cast, hall):
    """The version a page showed of the newest list of `hall`'s branch (the one `kwargs` made)."""
    latest = EliminationList.objects.filter(run__branch=hall.region.parent).latest("pk")
    return {"version": elimination_version("list", latest.pk)}


def branch_rule(cast, hall):
    branch = hall.region.parent
    EliminationRule.objects.get_or_create(branch=branch, defaults={"bottom_percent": 10})
    return {"branch": branch.code}


def scheme_pk(cast, hall):
    return {"pk": AssessmentScheme.objects.order_by("pk").first().pk}


# Elimination pages of branch management: the permission first (403), then the object (404).
ELIMINATION_BRANCH_PAGE = every(
    (403, 403),
    anonymous=(LOGIN, LOGIN),
    hr_client=(LOGIN, LOGIN),
    branch_manager=(200, 404),
    admin_user=(200, 200),
)
# Pages of the (company-wide) scheme editor: branch management only.
SCHEME_PAGE = every(
    (403, 403),
    anonymous=(LOGIN, LOGIN),
    hr_client=(LOGIN, LOGIN),
    branch_manager=(200, 200),
    admin_user=(200, 200),
)
BRANCH_ONLY_PAGE = every(403, anonymous=LOGIN, hr_client=LOGIN, branch_manager=200, admin_user=200)
# A list under review seen by the people on it: the hall's manager and the listed clerk.
ELIMINATION_LIST_PAGE = every(
    (200, 404),
    anonymous=(LOGIN, LOGIN),
    hr_client=(LOGIN, LOGIN),
    inspector=(403, 403),
    other_hall_manager=(404, 404),
    admin_user=(200, 200),
)


def complaint_pk(status, *, paused=False):
    """A complaint in `status` (handled by the cast's clerk once assigned) in the given hall."""

    def build(cast, hall):
        now, fields = timezone.now(), {"status": status}
        if status != "received":
            fields["current_handler"] = cast.clerk
        if status in ("replied", "closed"):
            fields.update(reply="已回复", replied_at=now, root_cause="系统故障")
        if status == "closed":
            fields.update(satisfaction="satisfied", closed_at=now)
        if paused:
            fields["paused_at"] = now
        return {"pk": ComplaintFactory(hall=hall, first_receiver=cast.branch_manager, **fields).pk}

    return build


# Handling actions: the hall's managers and the clerk handling it; the permission comes first.
COMPLAINT_ACTION = every(
    (403, 403),
    anonymous=(NO_TOKEN, NO_TOKEN),
    branch_manager=(200, 404),
    hall_manager=(200, 404),
    other_hall_manager=(404, 404),
    clerk=(200, 404),
    admin_user=(200, 200),
)


def complaint_action(status, body, *, paused=False, **overrides):
    return Access(
        {**COMPLAINT_ACTION, **overrides},
        kwargs=complaint_pk(status, paused=paused),
        method="post",
        json=True,
        data=lambda cast, hall: {"version": 1, **body},
    )


# Complaint pages' action forms: the complaint is resolved first (another hall's is a 404), then the
# permission (a 403); a done action sends the browser back to the complaint (303 See Other).
DONE = 303
COMPLAINT_PAGE_ACTION = {
    **HALL_SEEN,
    "branch_manager": (DONE, 404),
    "inspector": (403, 404),
    "hall_manager": (DONE, 404),
    "clerk": (DONE, 404),
    "hr_client": (LOGIN, LOGIN),
    "admin_user": (DONE, DONE),
}
PNG = tiny_png()


def new_handler_pk(cast, hall):
    """A person with a login working in the hall: someone a complaint can be given to."""
    return StaffFactory(hall=hall, user=UserFactory()).user.pk


def complaint_page_action(prefix, status, body, *, paused=False, **overrides):
    """POST the detail page's `prefix` form (fields named "<prefix>-<name>") at version 1."""

    def data(cast, hall):
        values = body(cast, hall) if callable(body) else body
        return {f"{prefix}-version": 1, **{f"{prefix}-{name}": value for name, value in values.items()}}

    return Access(
        {**COMPLAINT_PAGE_ACTION, **overrides},
        kwargs=complaint_pk(status, paused=paused),
        method="post",
        data=data,
    )


def complaint_attachment_pks(cast, hall):
    """An attachment of an assigned complaint handled by the cast's clerk."""
    pk = complaint_pk("assigned")(cast, hall)["pk"]
    attachment = ComplaintAttachment.objects.create(
        complaint_id=pk,
        file=ContentFile(PNG, name="photo.png"),
        original_name="photo.png",
        content_type="image/png",
        size=len(PNG),
        uploaded_by=cast.clerk,
    )
    return {"pk": pk, "attachment_pk": attachment.pk}


# --- mystery shop: visits are built by the superuser (the inspector does not see foreign_hall) ---


def _mystery_visit(cast, hall, *, stage: str, fail_codes=("D01",)):
    """A covert visit of `hall` at `stage`: draft, submitted, published."""
    from tests.assessment.mystery_shop.factories import complete_visit, start

    actor = cast.admin_user
    if stage == "draft":
        return start(actor, hall)
    visit = complete_visit(actor, hall, StaffFactory(hall=hall), fail_codes=fail_codes)
    if stage == "published":
        visit = mystery_services.publish_visit(actor=actor, visit=visit, version=visit.version)
    return visit


def mystery_visit_pk(stage: str, **options):
    return lambda cast, hall: {"pk": _mystery_visit(cast, hall, stage=stage, **options).pk}


def mystery_visit_version(extra: dict | None = None):
    def data(cast, hall):
        visit = MysteryVisit.objects.filter(hall=hall).order_by("-pk").first()
        return {"version": visit.version, **(extra or {})}

    return data


def _mystery_draft_complete(cast, hall):
    """A draft with every item answered (ready to submit)."""
    from tests.assessment.mystery_shop.factories import answer_all, start

    visit = start(cast.admin_user, hall)
    mystery_services.add_clerk(
        actor=cast.admin_user, visit=visit, employee_no=StaffFactory(hall=hall).employee_no
    )
    answer_all(cast.admin_user, visit)
    visit.refresh_from_db()
    return visit


def mystery_draft_clerk(cast, hall):
    visit = _mystery_visit(cast, hall, stage="draft")
    clerk = mystery_services.add_clerk(
        actor=cast.admin_user, visit=visit, employee_no=StaffFactory(hall=hall).employee_no
    )
    return {"pk": visit.pk, "clerk_pk": clerk.pk}


def mystery_draft_item(cast, hall):
    visit = _mystery_visit(cast, hall, stage="draft")
    return {"pk": visit.pk, "item_pk": visit.template.items.get(code="C02").pk}


def mystery_draft_photo(cast, hall):
    from tests.assessment.mystery_shop.factories import jpeg_upload

    visit = _mystery_visit(cast, hall, stage="draft")
    answer = mystery_services.save_answer(
        actor=cast.admin_user,
        visit=visit,
        item=visit.template.items.get(code="D01"),
        clerk=None,
        result="fail",
        photo=jpeg_upload(size=(40, 30)),
    )
    return {"pk": visit.pk, "photo_pk": answer.photos.get().pk}


def mystery_task_pk(status: str):
    def kwargs(cast, hall):
        from tests.assessment.mystery_shop.factories import jpeg_upload

        visit = _mystery_visit(cast, hall, stage="published")
        task = visit.rectifications.get()
        if status == "submitted":
            task = mystery_services.submit_rectification_evidence(
                actor=cast.admin_user,
                task=task,
                version=task.version,
                note="已整改",
                photo=jpeg_upload(size=(40, 30)),
            )
        return {"pk": task.pk}

    return kwargs


def mystery_task_version(extra: dict):
    def data(cast, hall):
        task = MysteryRectification.objects.filter(hall=hall).order_by("-pk").first()
        return {"version": task.version, **extra}

    return data


def mystery_template_pk(cast, hall):
    from tests.assessment.mystery_shop.factories import ensure_default_checklist

    return {"pk": ensure_default_checklist().pk}


def mystery_draft_template_pk(cast, hall):
    """A new draft version of the default checklist (checklists belong to no hall)."""
    from assessment.mystery_shop.checklist_services import create_template_version
    from tests.assessment.mystery_shop.factories import ensure_default_checklist

    return {"pk": create_template_version(actor=cast.admin_user, template=ensure_default_checklist()).pk}


# Unpublished visits exist for the market department only: everyone else gets the 404 of a missing one.
COVERT_UNPUBLISHED = every(
    (404, 404),
    anonymous=(LOGIN, LOGIN),
    hr_client=(LOGIN, LOGIN),
    inspector=(200, 404),
    admin_user=(200, 200),
)
COVERT_UNPUBLISHED_POST = {**COVERT_UNPUBLISHED, "inspector": (303, 404), "admin_user": (303, 303)}
# Inspector-only actions on a published visit of the hall.
# The checklist editor: the market department only, whatever the hall (checklists belong to none).
CHECKLIST_MANAGE = every(
    (403, 403),
    anonymous=(LOGIN, LOGIN),
    hr_client=(LOGIN, LOGIN),
    inspector=(200, 200),
    admin_user=(200, 200),
)
# Reading a draft checklist version: the market department only; anyone else cannot tell it from a
# missing version (checklists belong to no hall, so "own" and "foreign" answer alike).
CHECKLIST_DRAFT_PAGE = every(
    (404, 404),
    anonymous=(LOGIN, LOGIN),
    hr_client=(LOGIN, LOGIN),
    inspector=(200, 200),
    admin_user=(200, 200),
)
CHECKLIST_DRAFT_API = {**CHECKLIST_DRAFT_PAGE, "anonymous": (NO_TOKEN, NO_TOKEN), "hr_client": (404, 404)}
MYSTERY_INSPECT_POST = {
    **HALL_SEEN,
    "branch_manager": (403, 404),
    "inspector": (303, 404),
    "hall_manager": (403, 404),
    "clerk": (403, 404),
    "hr_client": (LOGIN, LOGIN),
    "admin_user": (303, 303),
}

ASSESSMENT_IMPORT = every(200, anonymous=LOGIN, hr_client=LOGIN, inspector=403, clerk=403)


ACCESS: dict[str, Access] = {
    # --- halls (pages) ---
    "login": Access(every(200)),
    "healthz": Access(every(200)),  # load balancers: no login, whoever asks
    "logout": Access(every(302), method="post"),
    "dashboard": Access(PAGE_LIST),
    "hall_list": Access(PAGE_LIST),
    # --- API client settings (administrators only); a new token or secret is shown in the
    # POST's answer (200), never stored for a redirect ---
    "api_client_list": Access(ADMIN_ONLY),
    "api_client_create": Access(ADMIN_ONLY),
    "api_client_detail": Access(ADMIN_ONLY_OBJECT, kwargs=api_client_pk),
    "api_client_rotate": Access(ADMIN_ONLY_OBJECT, kwargs=api_client_pk, method="post"),
    "api_client_revoke": Access(
        {**ADMIN_ONLY_OBJECT, "admin_user": (SEE_OTHER, SEE_OTHER)}, kwargs=api_client_pk, method="post"
    ),
    "api_client_webhook_create": Access(
        ADMIN_ONLY_OBJECT,
        kwargs=api_client_pk,
        method="post",
        data=lambda cast, hall: {"url": f"https://hr.example.invalid/{hall.pk}", "events": ["staff.changed"]},
    ),
    "webhook_unsubscribe": Access(
        {**ADMIN_ONLY_OBJECT, "admin_user": (SEE_OTHER, SEE_OTHER)},
        kwargs=webhook_subscription_pk,
        method="post",
    ),
    "webhook_redeliver": Access(
        {**ADMIN_ONLY_OBJECT, "admin_user": (SEE_OTHER, SEE_OTHER)}, kwargs=webhook_delivery_pk, method="post"
    ),
    "hall_detail": Access({**HALL_SEEN, "hr_client": (LOGIN, LOGIN)}, kwargs=hall_pk),
    "hall_edit": Access(
        {
            **HALL_SEEN,
            "inspector": (403, 404),
            "hall_manager": (403, 404),
            "clerk": (403, 404),
            "hr_client": (LOGIN, LOGIN),
        },
        kwargs=hall_pk,
    ),
    # Notifications are the user's own whatever their roles: anyone else's is a 404.
    "notification_list": Access(PAGE_LIST),
    "notification_read_all": Access(every(SEE_OTHER, anonymous=LOGIN, hr_client=LOGIN), method="post"),
    "notification_read": Access(
        every((404, 404), anonymous=(LOGIN, LOGIN), hr_client=(LOGIN, LOGIN), clerk=(SEE_OTHER, SEE_OTHER)),
        kwargs=clerk_notification_pk,
        method="post",
    ),
    # --- staffing (pages) ---
    "staff_list": Access(PAGE_LIST),
    "staff_create": Access(every(200, anonymous=LOGIN, hr_client=LOGIN, inspector=403, clerk=403)),
    "staff_detail": Access(
        {**HALL_SEEN, "clerk": (404, 404), "hr_client": (LOGIN, LOGIN)}, kwargs=new_staff_pk
    ),
    "staff_edit": Access(
        {**HALL_SEEN, "inspector": (403, 404), "clerk": (404, 404), "hr_client": (LOGIN, LOGIN)},
        kwargs=new_staff_pk,
    ),
    "staff_transfer": Access(
        {
            **HALL_SEEN,
            "inspector": (403, 404),
            "hall_manager": (403, 404),
            "clerk": (404, 404),
            "hr_client": (LOGIN, LOGIN),
        },
        kwargs=new_staff_pk,
    ),
    # --- rostering pages: clerks see their hall's published rosters; managers edit their own hall ---
    "roster_halls": Access(PAGE_LIST),
    "roster_my_schedule": Access(PAGE_LIST),
    "roster_list": Access({**HALL_SEEN, "hr_client": (LOGIN, LOGIN)}, kwargs=hall_pk),
    "roster_generate": Access(ROSTER_MANAGE, kwargs=hall_pk),
    "roster_leave": Access(ROSTER_MANAGE, kwargs=hall_pk),
    "roster_traffic_import": Access(ROSTER_MANAGE, kwargs=hall_pk),
    "roster_shift_types": Access(ROSTER_MANAGE, kwargs=hall_pk),
    "roster_shift_type_create": Access(ROSTER_MANAGE, kwargs=hall_pk),
    "roster_shift_type_edit": Access(ROSTER_MANAGE, kwargs=shift_type_pk),
    "roster_shift_type_active": Access(
        {
            **ROSTER_MANAGE,
            "branch_manager": (SEE_OTHER, 404),
            "hall_manager": (SEE_OTHER, 404),
            "admin_user": (SEE_OTHER, SEE_OTHER),
        },
        kwargs=shift_type_pk,
        method="post",
        data=lambda cast, hall: {"active": "0"},
    ),
    "roster_import": Access(ROSTER_MANAGE, kwargs=hall_pk),
    "roster_requests": Access(
        {**ROSTER_MANAGE, "branch_manager": (403, 404), "clerk": (200, 404)}, kwargs=hall_pk
    ),
    "roster_detail": Access({**HALL_SEEN, "hr_client": (LOGIN, LOGIN)}, kwargs=published_roster_pk),
    "roster_progress": Access({**HALL_SEEN, "hr_client": (LOGIN, LOGIN)}, kwargs=published_roster_pk),
    "roster_export": Access({**HALL_SEEN, "hr_client": (LOGIN, LOGIN)}, kwargs=published_roster_pk),
    "roster_compare": Access(
        # A clerk sees only published versions, so the superseded one compared with is unknown.
        {**HALL_SEEN, "hr_client": (LOGIN, LOGIN), "clerk": (404, 404)},
        kwargs=published_roster_pk,
        query=compare_with_previous_version,
    ),
    # Drafts: a clerk does not see them at all (404); the inspector sees but may not change them.
    "roster_cell": Access({**ROSTER_MANAGE, "clerk": (404, 404)}, kwargs=draft_roster_cell),
    "roster_publish": Access({**ROSTER_MANAGE, "clerk": (404, 404)}, kwargs=draft_roster_pk),
    "roster_staff_schedule": Access(
        {**HALL_SEEN, "clerk": (404, 404), "hr_client": (LOGIN, LOGIN)}, kwargs=new_staff_pk
    ),
    # --- REST API ---
    "api-hall-list": Access(every(200, anonymous=NO_TOKEN)),
    "api-hall-detail": Access({**HALL_SEEN, "anonymous": (NO_TOKEN, NO_TOKEN)}, kwargs=hall_pk),
    "api-staff-list": Access(every(200, anonymous=NO_TOKEN)),
    "api-staff-deleted": Access(every(200, anonymous=NO_TOKEN)),
    "api-staff-detail": Access(
        {**HALL_SEEN, "anonymous": (NO_TOKEN, NO_TOKEN), "clerk": (404, 404)}, kwargs=new_staff_pk
    ),
    "api-staff-postings": Access(
        {**HALL_SEEN, "anonymous": (NO_TOKEN, NO_TOKEN), "clerk": (404, 404)}, kwargs=new_staff_pk
    ),
    "api-staff-transfer": Access(
        # Only branch management transfers; the permission is checked before the object is looked up.
        every((403, 403), anonymous=(NO_TOKEN, NO_TOKEN), branch_manager=(200, 404), admin_user=(200, 200)),
        kwargs=new_staff_pk,
        method="post",
        data=lambda cast, hall: {"to_hall": cast.other_hall.code, "on": "2026-11-01"},
        json=True,
    ),
    # --- rostering API: clerks see their hall's published rosters; managers edit their own hall ---
    "api-shift-type-list": Access(every(200, anonymous=NO_TOKEN)),
    "api-shift-type-detail": Access({**HALL_SEEN, "anonymous": (NO_TOKEN, NO_TOKEN)}, kwargs=shift_type_pk),
    "api-roster-list": Access(every(200, anonymous=NO_TOKEN)),
    "api-roster-detail": Access({**HALL_SEEN, "anonymous": (NO_TOKEN, NO_TOKEN)}, kwargs=published_roster_pk),
    "api-roster-coverage": Access(
        {**HALL_SEEN, "anonymous": (NO_TOKEN, NO_TOKEN)}, kwargs=published_roster_pk
    ),
    "api-roster-compare": Access(
        # A clerk sees only published versions, so the superseded one compared with is unknown.
        {**HALL_SEEN, "anonymous": (NO_TOKEN, NO_TOKEN), "clerk": (404, 404)},
        kwargs=published_roster_pk,
        query=compare_with_previous_version,
    ),
    "api-roster-generate": Access(
        # The hall is named in the body; a hall outside the caller's scope reads as unknown (400).
        every(
            403,
            anonymous=NO_TOKEN,
            branch_manager=202,
            hall_manager=202,
            other_hall_manager=400,
            admin_user=202,
        ),
        method="post",
        data=lambda cast, hall: roster_generate_body(cast),
        json=True,
    ),
    "api-roster-import-roster": Access(
        # Multipart; the hall is named in the body: outside the caller's scope it reads as unknown (400).
        every(
            403,
            anonymous=NO_TOKEN,
            branch_manager=201,
            hall_manager=201,
            other_hall_manager=400,
            admin_user=201,
        ),
        method="post",
        data=lambda cast, hall: roster_import_body(cast),
    ),
    "api-roster-publish": Access(
        {
            **HALL_SEEN,
            "anonymous": (NO_TOKEN, NO_TOKEN),
            # The permission is checked before the object is looked up.
            "inspector": (403, 403),
            "clerk": (403, 403),
            "hr_client": (403, 403),
        },
        kwargs=draft_roster_pk,
        method="post",
        json=True,
    ),
    "api-assignment-list": Access(every(200, anonymous=NO_TOKEN)),
    "api-assignment-deleted": Access(every(200, anonymous=NO_TOKEN)),
    "api-assignment-detail": Access({**HALL_SEEN, "anonymous": (NO_TOKEN, NO_TOKEN)}, kwargs=assignment_pk),
    # --- complaints ---
    "complaints:queue": Access(PAGE_LIST),
    "complaints:intake": Access(every(200, anonymous=LOGIN, hr_client=LOGIN, inspector=403)),
    "complaints:summary": Access(every(200, anonymous=LOGIN, hr_client=LOGIN, clerk=403)),
    "complaints:detail": Access({**HALL_SEEN, "hr_client": (LOGIN, LOGIN)}, kwargs=complaint_pk("received")),
    # Revealing the customer: the people handling it (here the clerk handling it, the first receiver
    # and the managers who may unmask); an inspector sees the complaint but not the customer.
    "complaints:contact": Access(
        {**HALL_SEEN, "inspector": (403, 404), "hr_client": (LOGIN, LOGIN)},
        kwargs=complaint_pk("assigned"),
        method="post",
        data=lambda cast, hall: {},
    ),
    "complaints:assign": complaint_page_action(
        "assign", "received", lambda cast, hall: {"handler": new_handler_pk(cast, hall)}, clerk=(403, 404)
    ),
    "complaints:hand-over": complaint_page_action(
        "hand_over", "assigned", lambda cast, hall: {"handler": new_handler_pk(cast, hall), "reason": "换人"}
    ),
    "complaints:start": complaint_page_action("start", "assigned", {}),
    "complaints:pause": complaint_page_action("pause", "in_progress", {"reason": "等待客户资料"}),
    "complaints:resume": complaint_page_action("resume", "in_progress", {}, paused=True),
    "complaints:reply": complaint_page_action(
        "reply", "in_progress", {"reply": "已处理", "root_cause": "系统故障"}
    ),
    "complaints:close": complaint_page_action("close", "replied", {"satisfaction": "satisfied"}),
    "complaints:reopen": complaint_page_action("reopen", "closed", {"reason": "客户不满意"}),
    "complaints:note": complaint_page_action("note", "received", {"message": "已致电客户"}),
    "complaints:attach": complaint_page_action(
        "attach", "received", lambda cast, hall: {"file": SimpleUploadedFile("photo.png", PNG)}
    ),
    "complaints:attachment-download": Access(
        {**HALL_SEEN, "inspector": (403, 404), "hr_client": (LOGIN, LOGIN)}, kwargs=complaint_attachment_pks
    ),
    "complaints:accountability": complaint_page_action(
        "accountability",
        "replied",
        {"finding": "not_at_fault", "reason": "系统原因", "shares-TOTAL_FORMS": 0, "shares-INITIAL_FORMS": 0},
        clerk=(403, 404),
    ),
    "complaints:summary-export": Access(every(200, anonymous=LOGIN, hr_client=LOGIN, clerk=403)),
    "complaints:list-export": Access(every(200, anonymous=LOGIN, hr_client=LOGIN, clerk=403)),
    "api-complaint-list": Access(every(200, anonymous=NO_TOKEN)),
    "api-complaint-detail": Access(
        {**HALL_SEEN, "anonymous": (NO_TOKEN, NO_TOKEN)}, kwargs=complaint_pk("received")
    ),
    "api-complaint-assign": complaint_action("received", {"handler": "admin"}, clerk=(403, 403)),
    "api-complaint-hand-over": complaint_action("assigned", {"handler": "admin", "reason": "换人"}),
    "api-complaint-start": complaint_action("assigned", {}),
    "api-complaint-pause": complaint_action("in_progress", {"reason": "等待客户资料"}),
    "api-complaint-resume": complaint_action("in_progress", {}, paused=True),
    "api-complaint-reply": complaint_action("in_progress", {"reply": "已处理", "root_cause": "系统故障"}),
    "api-complaint-close": complaint_action("replied", {"satisfaction": "satisfied"}),
    "api-complaint-reopen": complaint_action("closed", {"reason": "客户不满意"}),
    # Revealing the customer: anyone who sees the complaint may ask (complaint.view, so the
    # inspector's foreign one is a 404), the people handling it get it; the read-only HR client
    # lacks complaints:write for a POST.
    "api-complaint-reveal-contact": Access(
        {**COMPLAINT_ACTION, "inspector": (403, 404)},
        kwargs=complaint_pk("assigned"),
        method="post",
        json=True,
        data=lambda cast, hall: {},
    ),
    # --- assessment API: published results for everyone in scope, runs for branch roles ---
    "api-assessment-result-list": Access(every(200, anonymous=NO_TOKEN)),
    "api-assessment-result-detail": Access(
        # A clerk sees only their own result; this one belongs to another clerk of the hall.
        {**HALL_SEEN, "anonymous": (NO_TOKEN, NO_TOKEN), "clerk": (404, 404)},
        kwargs=published_result_pk,
    ),
    "api-assessment-result-card": Access(
        {**HALL_SEEN, "anonymous": (NO_TOKEN, NO_TOKEN), "clerk": (404, 404)},
        kwargs=published_result_pk,
    ),
    "api-assessment-run-list": Access(
        every(403, anonymous=NO_TOKEN, branch_manager=200, inspector=200, admin_user=200)
    ),
    "api-assessment-run-detail": Access(
        every(
            (403, 403),
            anonymous=(NO_TOKEN, NO_TOKEN),
            branch_manager=(200, 404),
            inspector=(200, 404),
            admin_user=(200, 200),
        ),
        kwargs=draft_run_pk,
    ),
    "api-assessment-run-results": Access(
        every(
            (403, 403),
            anonymous=(NO_TOKEN, NO_TOKEN),
            branch_manager=(200, 404),
            inspector=(200, 404),
            admin_user=(200, 200),
        ),
        kwargs=draft_run_pk,
    ),
    "api-assessment-run-publish": Access(
        every((403, 403), anonymous=(NO_TOKEN, NO_TOKEN), branch_manager=(200, 404), admin_user=(200, 200)),
        kwargs=draft_run_pk,
        method="post",
        json=True,
    ),
    "api-assessment-star-change-list": Access(every(200, anonymous=NO_TOKEN)),
    "api-assessment-hall-ranking": Access(
        every(200, anonymous=NO_TOKEN), query=lambda cast, hall: "branch=BR01&month=2026-10"
    ),
    "api-assessment-rating": Access(
        # Only hall managers rate; the body is checked after the permission (an empty one is a 400).
        every(403, anonymous=NO_TOKEN, hall_manager=400, other_hall_manager=400, admin_user=400),
        method="post",
        json=True,
    ),
    "api-assessment-discipline": Access(
        every(
            403,
            anonymous=NO_TOKEN,
            branch_manager=400,
            hall_manager=400,
            other_hall_manager=400,
            admin_user=400,
        ),
        method="post",
        json=True,
    ),
    "api-assessment-import-evaluations": Access(
        every(
            403,
            anonymous=NO_TOKEN,
            branch_manager=400,
            hall_manager=400,
            other_hall_manager=400,
            admin_user=400,
        ),
        method="post",
    ),
    "api-assessment-import-kpis": Access(
        every(
            403,
            anonymous=NO_TOKEN,
            branch_manager=400,
            hall_manager=400,
            other_hall_manager=400,
            admin_user=400,
        ),
        method="post",
    ),
    # --- training (pages): a clerk sees their own hall's sessions and only their own records ---
    "training:calendar": Access(PAGE_LIST),
    "training:progress": Access(PAGE_LIST),
    "training:session-create": Access(every(200, anonymous=LOGIN, hr_client=LOGIN, inspector=403, clerk=403)),
    "training:session-detail": Access({**HALL_SEEN, "hr_client": (LOGIN, LOGIN)}, kwargs=training_session_pk),
    "training:archive": Access(
        {**HALL_SEEN, "clerk": (404, 404), "hr_client": (LOGIN, LOGIN)}, kwargs=new_staff_pk
    ),
    "training:archive-export": Access(
        {**HALL_SEEN, "clerk": (404, 404), "hr_client": (LOGIN, LOGIN)}, kwargs=new_staff_pk
    ),
    "training:qualify": Access(
        # An incomplete programme is refused with a message and a redirect back to the archive.
        {
            **HALL_SEEN,
            "branch_manager": (SEE_OTHER, 404),
            "hall_manager": (SEE_OTHER, 404),
            "inspector": (403, 404),
            "clerk": (404, 404),
            "hr_client": (LOGIN, LOGIN),
            "admin_user": (SEE_OTHER, SEE_OTHER),
        },
        kwargs=staff_and_program,
        method="post",
    ),
    "training:plan-create": Access(
        {**HALL_SEEN, "inspector": (403, 404), "clerk": (404, 404), "hr_client": (LOGIN, LOGIN)},
        kwargs=new_staff_pk,
    ),
    "training:plan-detail": Access(
        {**HALL_SEEN, "clerk": (404, 404), "hr_client": (LOGIN, LOGIN)}, kwargs=improvement_plan_pk
    ),
    # --- training API (read-only sync) ---
    "api-training-program-list": Access(every(200, anonymous=NO_TOKEN)),
    "api-training-program-detail": Access(
        every((200, 200), anonymous=(NO_TOKEN, NO_TOKEN)), kwargs=training_program_pk
    ),
    "api-training-session-list": Access(every(200, anonymous=NO_TOKEN)),
    "api-training-session-detail": Access(
        {**HALL_SEEN, "anonymous": (NO_TOKEN, NO_TOKEN)}, kwargs=training_session_pk
    ),
    "api-training-attendance-list": Access(every(200, anonymous=NO_TOKEN)),
    "api-training-attendance-detail": Access(
        {**HALL_SEEN, "anonymous": (NO_TOKEN, NO_TOKEN), "clerk": (404, 404)}, kwargs=attendance_pk
    ),
    "api-training-exam-result-list": Access(every(200, anonymous=NO_TOKEN)),
    "api-training-exam-result-deleted": Access(every(200, anonymous=NO_TOKEN)),
    "api-training-exam-result-detail": Access(
        {**HALL_SEEN, "anonymous": (NO_TOKEN, NO_TOKEN), "clerk": (404, 404)}, kwargs=exam_result_pk
    ),
    "api-qualification-list": Access(every(200, anonymous=NO_TOKEN)),
    "api-qualification-deleted": Access(every(200, anonymous=NO_TOKEN)),
    "api-qualification-detail": Access(
        {**HALL_SEEN, "anonymous": (NO_TOKEN, NO_TOKEN), "clerk": (404, 404)}, kwargs=qualification_pk
    ),
    # --- assessment pages: results for everyone signed in, runs for branch roles, rating for halls ---
    "assessment:results": Access(PAGE_LIST),
    "assessment:results-export": Access(PAGE_LIST),
    "assessment:ranking": Access(PAGE_LIST),
    "assessment:score-card": Access(
        # A clerk sees only their own card; this one belongs to another clerk of the hall.
        {**HALL_SEEN, "clerk": (404, 404), "hr_client": (LOGIN, LOGIN)},
        kwargs=published_result_pk,
    ),
    "assessment:runs": Access(
        every(403, anonymous=LOGIN, hr_client=LOGIN, branch_manager=200, inspector=200, admin_user=200)
    ),
    "assessment:run-compute": Access(
        # An empty form is shown again with its errors (a 400).
        every(403, anonymous=LOGIN, hr_client=LOGIN, branch_manager=400, admin_user=400),
        method="post",
    ),
    "assessment:run-progress": Access(
        every(
            (403, 403),
            anonymous=(LOGIN, LOGIN),
            hr_client=(LOGIN, LOGIN),
            branch_manager=(200, 404),
            inspector=(200, 404),
            admin_user=(200, 200),
        ),
        kwargs=draft_run_pk,
    ),
    "assessment:run-publish": Access(
        every(
            (403, 403),
            anonymous=(LOGIN, LOGIN),
            hr_client=(LOGIN, LOGIN),
            branch_manager=(200, 404),
            admin_user=(200, 200),
        ),
        kwargs=draft_run_pk,
    ),
    "assessment:rating": Access(
        every(403, anonymous=LOGIN, hr_client=LOGIN, hall_manager=200, other_hall_manager=200, admin_user=200)
    ),
    # Imports of evaluations and KPIs: hall and branch management (the service keeps rows to their
    # halls); the HR system imports through the API, never through a page.
    "assessment:imports": Access(ASSESSMENT_IMPORT),
    "assessment:import-sample-evaluations": Access(ASSESSMENT_IMPORT),
    "assessment:import-sample-kpis": Access(ASSESSMENT_IMPORT),
    # --- bottom-elimination list: HR sees confirmed lists; appeals by the clerk or hall manager ---
    "api-assessment-elimination-list": Access(every(200, anonymous=NO_TOKEN, inspector=403)),
    "api-assessment-elimination-detail": Access(
        every(
            (200, 404),
            anonymous=(NO_TOKEN, NO_TOKEN),
            inspector=(403, 403),
            other_hall_manager=(404, 404),
            admin_user=(200, 200),
        ),
        kwargs=elimination_list_pk("confirmed"),
    ),
    "api-assessment-elimination-review": Access(
        ELIMINATION_BRANCH_ACTION, kwargs=elimination_list_pk("generated"), method="post", json=True
    ),
    "api-assessment-elimination-confirm": Access(
        ELIMINATION_BRANCH_ACTION, kwargs=elimination_list_pk("under_review"), method="post", json=True
    ),
    "api-assessment-elimination-entry-list": Access(every(200, anonymous=NO_TOKEN, inspector=403)),
    "api-assessment-elimination-entry-deleted": Access(every(200, anonymous=NO_TOKEN, inspector=403)),
    "api-assessment-elimination-entry-detail": Access(
        # A clerk sees only their own entry; this one belongs to another clerk of the hall.
        every(
            (200, 404),
            anonymous=(NO_TOKEN, NO_TOKEN),
            inspector=(403, 403),
            other_hall_manager=(404, 404),
            clerk=(404, 404),
            admin_user=(200, 200),
        ),
        kwargs=elimination_entry_pk("confirmed"),
    ),
    "api-assessment-elimination-entry-appeal": Access(
        every(
            (403, 403),
            anonymous=(NO_TOKEN, NO_TOKEN),
            hall_manager=(201, 404),
            other_hall_manager=(404, 404),
            clerk=(404, 404),
            admin_user=(201, 201),
        ),
        kwargs=elimination_entry_pk("under_review"),
        method="post",
        json=True,
        data=lambda cast, hall: {"reason": "数据有误"},
    ),
    "api-assessment-elimination-entry-outcome": Access(
        ELIMINATION_BRANCH_ACTION,
        kwargs=elimination_entry_pk("confirmed"),
        method="post",
        json=True,
        data=lambda cast, hall: {"outcome": "warning", "note": "书面警告"},
    ),
    "api-assessment-elimination-appeal-decide": Access(
        ELIMINATION_BRANCH_ACTION,
        kwargs=pending_appeal_pk,
        method="post",
        json=True,
        data=lambda cast, hall: {"upheld": True, "decision_reason": "属实"},
    ),
    "api-assessment-elimination-rule": Access(
        every((403, 403), anonymous=(NO_TOKEN, NO_TOKEN), branch_manager=(200, 404), admin_user=(200, 200)),
        kwargs=branch_rule,
    ),
    # --- elimination pages: lists for the people on them, review and decisions for branch management ---
    "assessment:elimination-lists": Access(every(200, anonymous=LOGIN, hr_client=LOGIN, inspector=403)),
    "assessment:elimination-detail": Access(
        ELIMINATION_LIST_PAGE, kwargs=elimination_list_pk("under_review")
    ),
    "assessment:elimination-export": Access(
        ELIMINATION_LIST_PAGE, kwargs=elimination_list_pk("under_review")
    ),
    "assessment:elimination-review": Access(
        every(
            (403, 403),
            anonymous=(LOGIN, LOGIN),
            hr_client=(LOGIN, LOGIN),
            branch_manager=(SEE_OTHER, 404),
            admin_user=(SEE_OTHER, SEE_OTHER),
        ),
        kwargs=elimination_list_pk("generated"),
        method="post",
        data=latest_list_version,
    ),
    "assessment:elimination-confirm": Access(
        ELIMINATION_BRANCH_PAGE, kwargs=elimination_list_pk("under_review")
    ),
    "assessment:elimination-appeal": Access(
        # A clerk appeals only their own entry; this one belongs to another clerk of the hall.
        every(
            (403, 403),
            anonymous=(LOGIN, LOGIN),
            hr_client=(LOGIN, LOGIN),
            hall_manager=(200, 404),
            other_hall_manager=(404, 404),
            clerk=(404, 404),
            admin_user=(200, 200),
        ),
        kwargs=elimination_entry_pk("under_review"),
    ),
    "assessment:elimination-outcome": Access(
        ELIMINATION_BRANCH_PAGE, kwargs=elimination_entry_pk("confirmed")
    ),
    "assessment:elimination-appeals": Access(BRANCH_ONLY_PAGE),
    "assessment:elimination-appeal-decide": Access(ELIMINATION_BRANCH_PAGE, kwargs=pending_appeal_pk),
    "assessment:elimination-rule": Access(BRANCH_ONLY_PAGE),
    "assessment:schemes": Access(BRANCH_ONLY_PAGE),
    "assessment:scheme-detail": Access(SCHEME_PAGE, kwargs=scheme_pk),
    "assessment:scheme-new-version": Access(SCHEME_PAGE, kwargs=scheme_pk),
    "assessment:scheme-edit": Access(SCHEME_PAGE, kwargs=scheme_pk),
    "assessment:scheme-activate": Access(SCHEME_PAGE, kwargs=scheme_pk),
    # --- mystery shop (assessment/mystery_shop) ---
    "assessment:mystery:visit-list": Access(PAGE_LIST),
    "assessment:mystery:visit-export": Access(every(200, anonymous=LOGIN, hr_client=LOGIN, clerk=403)),
    "assessment:mystery:visit-new": Access(
        every(403, anonymous=LOGIN, hr_client=LOGIN, inspector=200, admin_user=200)
    ),
    "assessment:mystery:visit-detail": Access(
        {**HALL_SEEN, "hr_client": (LOGIN, LOGIN)}, kwargs=mystery_visit_pk("published")
    ),
    # The covert draft as the hall's manager or clerk: 404, exactly like a visit that does not exist.
    "assessment:mystery:visit-entry": Access(COVERT_UNPUBLISHED, kwargs=mystery_visit_pk("draft")),
    "assessment:mystery:visit-add-clerk": Access(
        COVERT_UNPUBLISHED_POST,
        kwargs=mystery_visit_pk("draft"),
        method="post",
        data=lambda cast, hall: {"clerk-employee_no": StaffFactory(hall=hall).employee_no},
    ),
    "assessment:mystery:visit-remove-clerk": Access(
        COVERT_UNPUBLISHED_POST, kwargs=mystery_draft_clerk, method="post"
    ),
    "assessment:mystery:visit-answer": Access(
        COVERT_UNPUBLISHED_POST,
        kwargs=mystery_draft_item,
        method="post",
        data=lambda cast, hall: {"result": "pass", "version": 0},
    ),
    "assessment:mystery:visit-photo": Access(COVERT_UNPUBLISHED, kwargs=mystery_draft_photo),
    "assessment:mystery:visit-photo-delete": Access(
        COVERT_UNPUBLISHED_POST, kwargs=mystery_draft_photo, method="post"
    ),
    "assessment:mystery:visit-submit": Access(
        COVERT_UNPUBLISHED_POST,
        kwargs=lambda cast, hall: {"pk": _mystery_draft_complete(cast, hall).pk},
        method="post",
        data=mystery_visit_version(),
    ),
    "assessment:mystery:visit-publish": Access(
        COVERT_UNPUBLISHED_POST,
        kwargs=mystery_visit_pk("submitted"),
        method="post",
        data=mystery_visit_version(),
    ),
    "assessment:mystery:visit-reopen": Access(
        MYSTERY_INSPECT_POST,
        kwargs=mystery_visit_pk("published"),
        method="post",
        data=mystery_visit_version({"reason": "评分有误"}),
    ),
    "assessment:mystery:visit-close": Access(
        MYSTERY_INSPECT_POST,
        kwargs=mystery_visit_pk("published", fail_codes=()),
        method="post",
        data=mystery_visit_version(),
    ),
    "assessment:mystery:rectification-list": Access(PAGE_LIST),
    "assessment:mystery:rectification-detail": Access(
        {**HALL_SEEN, "hr_client": (LOGIN, LOGIN)}, kwargs=mystery_task_pk("open")
    ),
    "assessment:mystery:rectification-evidence": Access(
        {**MYSTERY_INSPECT_POST, "inspector": (403, 404), "hall_manager": (303, 404)},
        kwargs=mystery_task_pk("open"),
        method="post",
        data=mystery_task_version({"note": "已清理"}),
    ),
    "assessment:mystery:rectification-review": Access(
        MYSTERY_INSPECT_POST,
        kwargs=mystery_task_pk("submitted"),
        method="post",
        data=mystery_task_version({"decision": "accept"}),
    ),
    "assessment:mystery:rectification-photo": Access(
        {**HALL_SEEN, "hr_client": (LOGIN, LOGIN)}, kwargs=mystery_task_pk("submitted")
    ),
    "assessment:mystery:report": Access(every(200, anonymous=LOGIN, hr_client=LOGIN, clerk=403)),
    "assessment:mystery:report-export": Access(every(200, anonymous=LOGIN, hr_client=LOGIN, clerk=403)),
    "assessment:mystery:template-list": Access(PAGE_LIST),
    # A new checklist (GET: the form; its POST is tested in test_checklist_pages): market department only.
    "assessment:mystery:template-create": Access(
        every(403, anonymous=LOGIN, hr_client=LOGIN, inspector=200, admin_user=200)
    ),
    # A draft is the market department's: anyone else gets the 404 of a missing version (the version
    # in force is read by everyone: tests/assessment/mystery_shop/test_checklist_visibility.py).
    "assessment:mystery:template-detail": Access(CHECKLIST_DRAFT_PAGE, kwargs=mystery_draft_template_pk),
    "assessment:mystery:template-new-version": Access(
        {**CHECKLIST_MANAGE, "inspector": (SEE_OTHER, SEE_OTHER), "admin_user": (SEE_OTHER, SEE_OTHER)},
        kwargs=mystery_template_pk,
        method="post",
    ),
    "assessment:mystery:template-edit": Access(CHECKLIST_MANAGE, kwargs=mystery_draft_template_pk),
    "assessment:mystery:template-activate": Access(CHECKLIST_MANAGE, kwargs=mystery_draft_template_pk),
    "api-inspection-template-list": Access(every(200, anonymous=NO_TOKEN)),
    "api-inspection-template-detail": Access(CHECKLIST_DRAFT_API, kwargs=mystery_draft_template_pk),
    "api-inspection-visit-list": Access(every(200, anonymous=NO_TOKEN)),
    "api-inspection-visit-detail": Access(
        {**HALL_SEEN, "anonymous": (NO_TOKEN, NO_TOKEN)}, kwargs=mystery_visit_pk("published")
    ),
    "api-inspection-rectification-list": Access(every(200, anonymous=NO_TOKEN)),
    "api-inspection-rectification-detail": Access(
        {**HALL_SEEN, "anonymous": (NO_TOKEN, NO_TOKEN)}, kwargs=mystery_task_pk("open")
    ),
    "api-schema": Access(every(200)),
    "api-docs": Access(every(200)),
}


def url_names(resolver=None, prefix="") -> set[str]:
    """Every URL name of the project, namespaced names as "ns:name"; format-suffix variants
    of API routes share their route's name and count once."""
    resolver = resolver or get_resolver()
    names = {prefix + key for key in resolver.reverse_dict if isinstance(key, str)}
    for namespace, (_prefix, sub_resolver) in resolver.namespace_dict.items():
        if namespace not in EXCLUDED_NAMESPACES:
            names |= url_names(sub_resolver, f"{prefix}{namespace}:")
    return names - EXCLUDED_NAMES


URL_NAMES = sorted(url_names())


def test_every_url_name_has_a_row_and_every_row_a_url():
    missing = sorted(set(URL_NAMES) - set(ACCESS))
    stale = sorted(set(ACCESS) - set(URL_NAMES))
    assert not missing, f"Add rows for these URL names to ACCESS in tests/test_access_matrix.py: {missing}"
    assert not stale, f"Remove rows for URL names that no longer exist from ACCESS: {stale}"


@pytest.fixture
def world(cast, admin_user, settings, tmp_path):
    cast.admin_user = admin_user
    settings.MEDIA_ROOT = tmp_path  # uploaded and attached files stay out of var/media
    return cast


def request_as(client, world, role: str, access: Access, url: str, variant_hall):
    headers = {}
    if role == "hr_client":
        headers["HTTP_AUTHORIZATION"] = f"Token {world.hr_client.raw_token}"
    elif role != "anonymous":
        client.force_login(getattr(world, role))
    if access.method == "get":
        return client.get(url, **headers)
    data = access.data(world, variant_hall) if access.data else {}
    if access.json:
        return client.post(url, json.dumps(data), content_type="application/json", **headers)
    return client.post(url, data, **headers)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", URL_NAMES)
def test_url_answers_each_role_as_the_table_says(name, role, world, client):
    if name not in ACCESS:
        pytest.fail(f"URL name {name!r} has no row: add one to ACCESS in tests/test_access_matrix.py")
    access = ACCESS[name]
    if role not in access.expected:
        pytest.fail(f"The row for {name!r} has no expected status for role {role!r}: add it")
    expected = access.expected[role]
    if access.kwargs is None:
        variants = [("-", None, expected)]
    else:
        own, foreign = expected
        variants = [("own", world.hall, own), ("foreign", world.foreign_hall, foreign)]

    answers = []
    for variant, hall, status in variants:
        kwargs = access.kwargs(world, hall) if access.kwargs else {}
        url = reverse(name, kwargs=kwargs)
        if access.query:
            url = f"{url}?{access.query(world, hall)}"
        response = request_as(client, world, role, access, url, hall)
        answers.append((variant, status, response.status_code))
        if status == LOGIN and response.status_code == 302 and name not in ("logout",):
            assert response["Location"].startswith(reverse("login")), (variant, response["Location"])
        client.logout()

    wrong = [a for a in answers if a[1] != a[2]]
    assert not wrong, f"{name} as {role}: (object, expected, got) {wrong}"
