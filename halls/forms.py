"""Page forms for halls, and the base every service-backed page form builds on."""

from django import forms
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from halls import services, webhooks
from halls.exceptions import DomainError
from halls.models import READ, WRITE, ApiClient, ApiResource, Hall, OpeningHours, Region, WebhookEvent
from halls.selectors import regions_for_filter

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class ServiceForm(forms.Form):
    """A form whose `save(actor=...)` runs `perform()` (which calls services) in one transaction.

    A DomainError becomes an error beside the field it names (through `field_aliases` when the
    service's field name differs from the form's), else an error of the whole form; a database
    constraint that still fires becomes a form error, never a server error. Returns the result
    of `perform()`, or None when nothing was saved.
    """

    field_aliases: dict[str, str] = {}

    def perform(self, *, actor):
        raise NotImplementedError

    def save(self, *, actor):
        try:
            with transaction.atomic():
                return self.perform(actor=actor)
        except DomainError as exc:
            self.add_domain_error(exc)
        except IntegrityError:
            self.add_error(None, _("The change conflicts with existing data; nothing was saved."))
        return None

    def add_domain_error(self, exc: DomainError) -> None:
        field = self.field_aliases.get(exc.field, exc.field)
        self.add_error(field if field in self.fields else None, exc.message)


class HallFilterForm(forms.Form):
    """Filters of the hall list page (GET); every field is optional."""

    ACTIVE_CHOICES = [("", _("Active and inactive")), ("yes", _("Active only")), ("no", _("Inactive only"))]

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    region = forms.ModelChoiceField(
        label=_("Region"), queryset=None, required=False, empty_label=_("All regions")
    )
    hall_class = forms.ChoiceField(label=_("Class"), required=False)
    operation = forms.ChoiceField(label=_("Operation"), required=False)
    active = forms.ChoiceField(label=_("Status"), required=False, choices=ACTIVE_CHOICES)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs.update({"placeholder": _("Hall name or code"), "type": "search"})
        self.fields["region"].queryset = regions_for_filter(user=user)
        self.fields["hall_class"].choices = [("", _("All classes")), *Hall.HallClass.choices]
        self.fields["operation"].choices = [("", _("All operations")), *Hall.Operation.choices]

    def filters(self) -> dict:
        """Keyword arguments for halls.selectors.filter_halls."""
        data = self.cleaned_data
        return {
            "q": data["q"],
            "region": data["region"],
            "hall_class": data["hall_class"],
            "operation": data["operation"],
            "is_active": {"yes": True, "no": False}.get(data["active"]),
        }


class HallForm(ServiceForm):
    """A hall's attributes and its weekly opening hours (a weekday with no times is closed)."""

    code = forms.RegexField(
        label=_("Code"),
        regex=r"^[A-Za-z0-9_-]{1,20}$",
        max_length=20,
        error_messages={"invalid": _("Use 1–20 letters, digits, hyphens or underscores.")},
    )
    name = forms.CharField(label=_("Hall name"), max_length=120)
    hall_class = forms.ChoiceField(label=_("Class"), choices=Hall.HallClass.choices)
    operation = forms.ChoiceField(label=_("Operation"), choices=Hall.Operation.choices)
    region = forms.ModelChoiceField(label=_("Region"), queryset=None)
    address = forms.CharField(label=_("Address"), max_length=255, required=False)
    window_count = forms.IntegerField(label=_("Service windows"), min_value=1, max_value=200)
    has_vip_zone = forms.BooleanField(label=_("VIP service zone"), required=False)
    min_staff_offpeak = forms.IntegerField(label=_("Minimum staff on duty (off-peak)"), min_value=1)
    min_staff_peak = forms.IntegerField(label=_("Minimum staff on duty (peak)"), min_value=1)
    is_active = forms.BooleanField(label=_("In operation"), required=False)

    HALL_FIELDS = list(services.HALL_FIELDS)

    def __init__(self, *args, hall: Hall, user, **kwargs):
        initial = {name: getattr(hall, name) for name in self.HALL_FIELDS}
        for row in hall.opening_hours.all():
            initial[f"weekday_{row.weekday}_opens"] = row.opens_at
            initial[f"weekday_{row.weekday}_closes"] = row.closes_at
        super().__init__(*args, initial=initial, **kwargs)
        self.hall = hall
        self.fields["region"].queryset = regions_for_filter(user=user)
        self.field_aliases = {}
        for day, label in OpeningHours.Weekday.choices:
            self.fields[f"weekday_{day}_opens"] = forms.TimeField(
                label=_("%(day)s opens") % {"day": label}, required=False, widget=TIME_INPUT
            )
            self.fields[f"weekday_{day}_closes"] = forms.TimeField(
                label=_("%(day)s closes") % {"day": label}, required=False, widget=TIME_INPUT
            )
            self.field_aliases[f"weekday_{day}"] = f"weekday_{day}_closes"

    # Display order and grid width of the attribute fields: numbers pair up, switches come last.
    ATTRIBUTE_LAYOUT = (
        ("code", "col-sm-6"),
        ("name", "col-sm-6"),
        ("hall_class", "col-sm-6"),
        ("operation", "col-sm-6"),
        ("region", "col-sm-6"),
        ("window_count", "col-sm-6"),
        ("min_staff_offpeak", "col-sm-6"),
        ("min_staff_peak", "col-sm-6"),
        ("address", "col-12"),
        ("has_vip_zone", "col-sm-6"),
        ("is_active", "col-sm-6"),
    )

    def attribute_fields(self):
        """(bound field, grid classes) in display order."""
        return [(self[name], f"{width} mb-3") for name, width in self.ATTRIBUTE_LAYOUT]

    def weekday_rows(self):
        """(label, opens field, closes field) per weekday, Monday first, for the hours table."""
        return [
            (label, self[f"weekday_{day}_opens"], self[f"weekday_{day}_closes"])
            for day, label in OpeningHours.Weekday.choices
        ]

    def clean(self):
        data = super().clean()
        offpeak, peak = data.get("min_staff_offpeak"), data.get("min_staff_peak")
        if offpeak is not None and peak is not None and peak < offpeak:
            self.add_error("min_staff_peak", _("The peak minimum cannot be below the off-peak minimum."))
        for day, _label in OpeningHours.Weekday.choices:
            opens_name, closes_name = f"weekday_{day}_opens", f"weekday_{day}_closes"
            if opens_name in self.errors or closes_name in self.errors:
                continue
            opens, closes = data.get(opens_name), data.get(closes_name)
            if opens and not closes:
                self.add_error(closes_name, _("Give the closing time, or clear both times for a closed day."))
            elif closes and not opens:
                self.add_error(opens_name, _("Give the opening time, or clear both times for a closed day."))
            elif opens and closes and opens >= closes:
                self.add_error(closes_name, _("Opening time must be before closing time."))
        return data

    def opening_hours(self) -> dict:
        data = self.cleaned_data
        hours = {}
        for day, _label in OpeningHours.Weekday.choices:
            opens, closes = data[f"weekday_{day}_opens"], data[f"weekday_{day}_closes"]
            hours[day] = (opens, closes) if opens and closes else None
        return hours

    def perform(self, *, actor):
        changes = {name: self.cleaned_data[name] for name in self.HALL_FIELDS if name in self.changed_data}
        hall = self.hall
        if changes:
            hall = services.update_hall(actor=actor, hall=hall, **changes)
        if any(name.startswith("weekday_") for name in self.changed_data):
            services.set_opening_hours(actor=actor, hall=hall, hours=self.opening_hours())
        return hall


def scope_choices():
    """(scope, label) for every resource family, read and write: "Staff – read"."""
    return [
        (f"{value}:{mode}", f"{label} – {mode_label}")
        for value, label in ApiResource.choices
        for mode, mode_label in ((READ, _("read")), (WRITE, _("read and write")))
    ]


class ApiClientForm(ServiceForm):
    """An API client's name, regions, scopes and rate limit: creates the client (and its
    login-less user) when `client` is None, else changes it."""

    name = forms.CharField(label=_("Client name"), max_length=100)
    regions = forms.ModelMultipleChoiceField(label=_("Regions"), queryset=Region.objects.none())
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"), choices=scope_choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    rate_limit_per_minute = forms.IntegerField(
        label=_("Requests per minute"), min_value=1, max_value=100000, initial=120
    )

    def __init__(self, *args, client: ApiClient | None = None, **kwargs):
        if client is not None:
            kwargs["initial"] = {
                "name": client.name,
                "regions": list(client.regions.all()),
                "scopes": client.scopes,
                "rate_limit_per_minute": client.rate_limit_per_minute,
            }
        super().__init__(*args, **kwargs)
        self.client = client
        self.fields["regions"].queryset = Region.objects.order_by("path")

    def perform(self, *, actor):
        data = self.cleaned_data
        if self.client is None:
            return services.create_api_client(
                actor=actor,
                name=data["name"],
                regions=data["regions"],
                scopes=data["scopes"],
                rate_limit_per_minute=data["rate_limit_per_minute"],
            )
        return services.update_api_client(
            actor=actor,
            client=self.client,
            name=data["name"],
            regions=data["regions"],
            scopes=data["scopes"],
            rate_limit_per_minute=data["rate_limit_per_minute"],
        )


class RotateTokenForm(ServiceForm):
    grace_minutes = forms.IntegerField(
        label=_("Old token keeps working for (minutes)"),
        min_value=0,
        max_value=1440,
        initial=0,
        required=False,
    )

    def __init__(self, *args, client: ApiClient, **kwargs):
        super().__init__(*args, **kwargs)
        self.client = client

    def perform(self, *, actor):
        return services.rotate_api_client_token(
            actor=actor, client=self.client, grace_minutes=self.cleaned_data["grace_minutes"] or 0
        )


class WebhookSubscriptionForm(ServiceForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, client: ApiClient, **kwargs):
        super().__init__(*args, **kwargs)
        self.client = client

    def perform(self, *, actor):
        return webhooks.subscribe(
            actor=actor, client=self.client, url=self.cleaned_data["url"], events=self.cleaned_data["events"]
        )
