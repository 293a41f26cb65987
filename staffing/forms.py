"""Page forms for staff: filters, create, edit and transfer, each calling one staffing service."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from halls.forms import DATE_INPUT, ServiceForm
from halls.models import Hall
from halls.selectors import halls_where
from staffing import services
from staffing.models import Staff

EMPLOYEE_NO = {
    "regex": r"^[A-Za-z0-9_-]{1,20}$",
    "max_length": 20,
    "error_messages": {"invalid": _("Use 1–20 letters, digits, hyphens or underscores.")},
}
PHONE = {
    "regex": r"^[0-9+\- ]{0,20}$",
    "max_length": 20,
    "required": False,
    "error_messages": {"invalid": _("Use digits, spaces, + and - only.")},
}


class StaffFilterForm(forms.Form):
    """Filters of the staff list page (GET); every field is optional."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    hall = forms.ModelChoiceField(label=_("Hall"), queryset=None, required=False, empty_label=_("All halls"))
    post = forms.ChoiceField(label=_("Post"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    employment_type = forms.ChoiceField(label=_("Employment type"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs.update({"placeholder": _("Name or employee number"), "type": "search"})
        self.fields["hall"].queryset = Hall.objects.visible_to(user).order_by("code")
        self.fields["post"].choices = [("", _("All posts")), *Staff.Post.choices]
        self.fields["status"].choices = [("", _("All statuses")), *Staff.Status.choices]
        self.fields["employment_type"].choices = [
            ("", _("All employment types")),
            *Staff.EmploymentType.choices,
        ]

    def filters(self) -> dict:
        """Keyword arguments for staffing.selectors.filter_staff."""
        return {name: self.cleaned_data[name] for name in ("q", "hall", "post", "status", "employment_type")}


class StaffFieldsForm(ServiceForm):
    name = forms.CharField(label=_("Name"), max_length=60)
    post = forms.ChoiceField(label=_("Post"), choices=Staff.Post.choices)
    employment_type = forms.ChoiceField(label=_("Employment type"), choices=Staff.EmploymentType.choices)
    hire_date = forms.DateField(label=_("Hire date"), widget=DATE_INPUT)
    status = forms.ChoiceField(
        label=_("Status"), choices=Staff.Status.choices, initial=Staff.Status.PROBATION
    )
    star_level = forms.IntegerField(label=_("Star level"), min_value=0, max_value=5, initial=0)
    phone = forms.RegexField(label=_("Phone"), **PHONE)


class StaffCreateForm(StaffFieldsForm):
    """A new staff record in a hall the user may staff; its first posting opens on the hire date."""

    employee_no = forms.RegexField(label=_("Employee number"), **EMPLOYEE_NO)
    hall = forms.ModelChoiceField(label=_("Hall"), queryset=None)

    field_order = [
        "employee_no",
        "name",
        "hall",
        "post",
        "employment_type",
        "hire_date",
        "status",
        "star_level",
    ]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        halls = halls_where(user=user, action="staff.create")
        self.fields["hall"].queryset = halls
        if len(halls) == 1:
            self.fields["hall"].initial = halls[0].pk
        self.fields["hire_date"].initial = timezone.localdate()

    def perform(self, *, actor):
        return services.create_staff(actor=actor, **self.cleaned_data)


class StaffEditForm(StaffFieldsForm):
    """A staff record's attributes; the hall changes only by a transfer."""

    def __init__(self, *args, staff: Staff, **kwargs):
        initial = {name: getattr(staff, name) for name in self.base_fields}
        super().__init__(*args, initial=initial, **kwargs)
        self.staff = staff

    def perform(self, *, actor):
        changes = {name: self.cleaned_data[name] for name in self.changed_data}
        if not changes:
            return self.staff
        return services.update_staff(actor=actor, staff=self.staff, **changes)


class StaffTransferForm(ServiceForm):
    """Move a person to another hall from a date; the posting history keeps where they worked when."""

    to_hall = forms.ModelChoiceField(label=_("New hall"), queryset=None)
    on = forms.DateField(label=_("From"), widget=DATE_INPUT)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    field_aliases = {"hall": "to_hall"}

    def __init__(self, *args, staff: Staff, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.staff = staff
        self.fields["to_hall"].queryset = halls_where(user=user, action="staff.transfer").exclude(
            pk=staff.hall_id
        )
        self.fields["on"].initial = timezone.localdate()

    def perform(self, *, actor):
        return services.transfer_staff(actor=actor, staff=self.staff, **self.cleaned_data)
