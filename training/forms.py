"""Page forms for training. Service-backed forms subclass halls.forms.ServiceForm: a domain error
lands beside the field it names (for the bulk sheet: beside the row's field), never a 500."""

import re
from datetime import date
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from halls.forms import DATE_INPUT, TIME_INPUT, ServiceForm
from halls.models import Hall
from halls.permissions import has_permission
from staffing.models import Staff
from training import plan_services, services
from training.dates import month_start
from training.exceptions import AttendanceRowsInvalid
from training.models import (
    AttendanceStatus,
    ExamKind,
    PlanVerdict,
    ProgramStage,
    SessionKind,
    TrainingProgram,
)
from training.selectors import SheetRow

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(raw: str | None, *, default: date) -> date:
    """The first day of a YYYY-MM month, or `default`'s month for anything else."""
    match = MONTH_RE.match(raw or "")
    if match:
        year, month = int(match.group(1)), int(match.group(2))
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return date(year, month, 1)
    return month_start(default)


class MonthField(forms.DateField):
    """A month picked as YYYY-MM (an <input type="month">), cleaned to its first day."""

    widget = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")
    input_formats = ["%Y-%m"]

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace(day=1) if value else value


def managed_halls(user, action: str):
    """Visible halls where `user` may perform `action` (one query plus the scope)."""
    halls = Hall.objects.visible_to(user).select_related("region").order_by("code")
    return Hall.objects.filter(pk__in=[h.pk for h in halls if has_permission(user, action, hall=h)]).order_by(
        "code"
    )


class SessionForm(ServiceForm):
    """Schedule a session for one or more halls, optionally in a programme stage, with an exam."""

    kind = forms.ChoiceField(label=_("Kind"), choices=SessionKind.choices)
    topic = forms.CharField(label=_("Topic"), max_length=200)
    date = forms.DateField(label=_("Date"), widget=DATE_INPUT)
    starts_at = forms.TimeField(label=_("Starts at"), widget=TIME_INPUT)
    duration_minutes = forms.IntegerField(label=_("Duration (minutes)"), min_value=1, max_value=720)
    trainer = forms.CharField(label=_("Trainer"), max_length=60)
    halls = forms.ModelMultipleChoiceField(label=_("Halls"), queryset=Hall.objects.none())
    program = forms.ModelChoiceField(
        label=_("Programme"), queryset=TrainingProgram.objects.none(), required=False
    )
    stage = forms.ModelChoiceField(label=_("Stage"), queryset=ProgramStage.objects.none(), required=False)
    exam_kind = forms.ChoiceField(
        label=_("Exam"), choices=[("", _("No exam")), *ExamKind.choices], required=False
    )
    exam_max_score = forms.DecimalField(
        label=_("Maximum score"), max_digits=5, decimal_places=1, required=False, min_value=Decimal("0.1")
    )
    exam_pass_mark = forms.DecimalField(
        label=_("Pass mark"), max_digits=5, decimal_places=1, required=False, min_value=Decimal("0.1")
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["halls"].queryset = managed_halls(user, "training.manage")
        self.fields["program"].queryset = TrainingProgram.objects.visible_to(user).active()
        self.fields["stage"].queryset = (
            ProgramStage.objects.filter(program__is_active=True)
            .select_related("program")
            .order_by("program__code", "order")
        )
        self.fields["stage"].label_from_instance = lambda s: f"{s.program.name} · {s.order}. {s.name}"

    def clean(self):
        data = super().clean()
        if data.get("exam_kind") and data.get("exam_pass_mark") is None:
            self.add_error("exam_pass_mark", _("Give the pass mark of the exam."))
        return data

    def perform(self, *, actor):
        data = self.cleaned_data
        return services.create_session(
            actor=actor,
            kind=data["kind"],
            topic=data["topic"],
            date=data["date"],
            starts_at=data["starts_at"],
            duration_minutes=data["duration_minutes"],
            trainer=data["trainer"],
            halls=list(data["halls"]),
            program=data["program"] or (data["stage"].program if data["stage"] else None),
            stage=data["stage"],
            exam_kind=data["exam_kind"],
            exam_max_score=data["exam_max_score"],
            exam_pass_mark=data["exam_pass_mark"],
        )


class AttendanceSheetForm(ServiceForm):
    """Attendance (and exam scores, when the session has an exam) of everyone in one hall.

    One status and one score field per person; the service checks every row and refuses the
    whole sheet when any is wrong, and each wrong row shows its error beside its field."""

    def __init__(self, *args, session, hall: Hall, sheet: list[SheetRow], **kwargs):
        super().__init__(*args, **kwargs)
        self.session, self.hall, self.sheet = session, hall, sheet
        for row in sheet:
            pk = row.staff.pk
            status = forms.ChoiceField(
                label=_("Attendance of %(name)s") % {"name": row.staff.name},
                choices=AttendanceStatus.choices,
                initial=row.attendance.status if row.attendance else AttendanceStatus.PRESENT,
            )
            self.fields[f"status_{pk}"] = status
            if session.exam_kind:
                self.fields[f"score_{pk}"] = forms.CharField(
                    label=_("Exam score of %(name)s") % {"name": row.staff.name},
                    required=False,
                    max_length=10,
                    initial=services.plain_number(row.exam.score) if row.exam else "",
                    widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
                )

    def rows(self):
        """(sheet row, status field, score field or None) per person, for the template."""
        return [
            (
                row,
                self[f"status_{row.staff.pk}"],
                self[f"score_{row.staff.pk}"] if self.session.exam_kind else None,
            )
            for row in self.sheet
        ]

    def perform(self, *, actor):
        data = self.cleaned_data
        entries = [
            services.AttendanceEntry(
                staff_id=row.staff.pk,
                status=data[f"status_{row.staff.pk}"],
                score=data.get(f"score_{row.staff.pk}") or None,
            )
            for row in self.sheet
        ]
        return services.record_hall_attendance(
            actor=actor, session=self.session, hall=self.hall, rows=entries
        )

    def add_domain_error(self, exc):
        if isinstance(exc, AttendanceRowsInvalid):
            for staff_id, errors in exc.row_errors.items():
                for field, message in errors.items():
                    name = f"score_{staff_id}" if field == "score" else f"status_{staff_id}"
                    self.add_error(name if name in self.fields else None, message)
            self.add_error(None, exc.message)
            return
        super().add_domain_error(exc)


class WeakPointRow:
    """The fields of one weak indicator in the plan form."""

    def __init__(self, form, index: int):
        self.index = index
        self.code = form[f"indicator_code_{index}"]
        self.name = form[f"indicator_name_{index}"]
        self.score = form[f"score_{index}"]
        self.max_points = form[f"max_points_{index}"]


class ImprovementPlanForm(ServiceForm):
    """A plan for one person: the assessment month, its weakest indicators (up to three), the
    owner and the goal."""

    WEAK_POINT_ROWS = 3

    month = MonthField(label=_("Assessment month"))
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=Staff.objects.none())
    goal = forms.CharField(label=_("Goal"), widget=forms.Textarea(attrs={"rows": 3}))

    field_aliases = {"weak_points": "indicator_code_1"}

    def __init__(self, *args, staff: Staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.staff = staff
        self.fields["owner"].queryset = (
            Staff.objects.current().filter(hall=staff.hall).order_by("employee_no")
        )
        for i in range(1, self.WEAK_POINT_ROWS + 1):
            first = i == 1
            self.fields[f"indicator_code_{i}"] = forms.CharField(
                label=_("Indicator code"), max_length=50, required=first
            )
            self.fields[f"indicator_name_{i}"] = forms.CharField(
                label=_("Indicator"), max_length=120, required=first
            )
            self.fields[f"score_{i}"] = forms.DecimalField(
                label=_("Score"), max_digits=7, decimal_places=2, required=first
            )
            self.fields[f"max_points_{i}"] = forms.DecimalField(
                label=_("Maximum points"), max_digits=7, decimal_places=2, required=first
            )

    def weak_point_rows(self):
        return [WeakPointRow(self, i) for i in range(1, self.WEAK_POINT_ROWS + 1)]

    def clean(self):
        data = super().clean()
        for i in range(2, self.WEAK_POINT_ROWS + 1):
            values = [
                data.get(f"{name}_{i}")
                for name in ("indicator_code", "indicator_name", "score", "max_points")
            ]
            given = [v not in (None, "") for v in values]
            if any(given) and not all(given):
                self.add_error(f"indicator_code_{i}", _("Fill in all four fields of the indicator, or none."))
        return data

    def weak_points(self) -> list[plan_services.WeakPoint]:
        data = self.cleaned_data
        return [
            plan_services.WeakPoint(
                indicator_code=data[f"indicator_code_{i}"],
                indicator_name=data[f"indicator_name_{i}"],
                score=data[f"score_{i}"],
                max_points=data[f"max_points_{i}"],
            )
            for i in range(1, self.WEAK_POINT_ROWS + 1)
            if data.get(f"indicator_code_{i}")
        ]

    def perform(self, *, actor):
        data = self.cleaned_data
        return plan_services.create_improvement_plan(
            actor=actor,
            staff=self.staff,
            month=data["month"],
            owner=data["owner"],
            goal=data["goal"],
            weak_points=self.weak_points(),
        )


class StepForm(ServiceForm):
    prefix = "step"

    due_on = forms.DateField(label=_("Due on"), widget=DATE_INPUT)
    description = forms.CharField(label=_("Step"), max_length=300)

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.plan = plan

    def perform(self, *, actor):
        return plan_services.add_improvement_step(
            actor=actor,
            plan=self.plan,
            due_on=self.cleaned_data["due_on"],
            description=self.cleaned_data["description"],
        )


class FollowUpForm(ServiceForm):
    prefix = "follow_up"

    written_on = forms.DateField(label=_("Date"), widget=DATE_INPUT)
    note = forms.CharField(label=_("Follow-up"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, plan, **kwargs):
        kwargs.setdefault("initial", {"written_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.plan = plan

    def perform(self, *, actor):
        return plan_services.add_follow_up(
            actor=actor,
            plan=self.plan,
            note=self.cleaned_data["note"],
            written_on=self.cleaned_data["written_on"],
        )


class VerdictForm(ServiceForm):
    prefix = "verdict"

    verdict = forms.ChoiceField(label=_("Verdict"), choices=PlanVerdict.choices)
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.plan = plan

    def perform(self, *, actor):
        return plan_services.record_plan_verdict(
            actor=actor, plan=self.plan, verdict=self.cleaned_data["verdict"], note=self.cleaned_data["note"]
        )
