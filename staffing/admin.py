"""Admin for staff. Creation and edits go through staffing.services, so postings and audit rows
are written; the hall changes only by a transfer, and postings and history are read-only."""

from django.contrib import admin

from halls.admin import EventAdmin, ReadOnlyAdmin
from staffing import services
from staffing.models import (
    Assignment,
    CoveragePolicy,
    DisciplineRecord,
    Leave,
    LoanRecord,
    Qualification,
    Roster,
    ShiftType,
    Staff,
    StaffPosting,
    StaffRequest,
    TrafficRecord,
)


class StaffPostingInline(admin.TabularInline):
    model = StaffPosting
    fields = ["hall", "post", "started_on", "ended_on"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-started_on"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Staff)
class StaffAdmin(admin.ModelAdmin):
    inlines = [StaffPostingInline]
    list_display = [
        "employee_no",
        "name",
        "hall",
        "post",
        "employment_type",
        "status",
        "star_level",
        "hire_date",
    ]
    list_filter = [
        "post",
        "status",
        "employment_type",
        "star_level",
        ("hall__region__parent", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["employee_no", "name", "hall__code", "hall__name", "phone"]
    list_select_related = ["hall"]
    autocomplete_fields = ["hall", "user"]
    readonly_fields = ["created_at", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            # A change of hall is a transfer (staffing.services.transfer_staff), with its posting history.
            return [*self.readonly_fields, "employee_no", "hall"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            changes = {k: form.cleaned_data[k] for k in form.changed_data if k in services.EDITABLE_FIELDS}
            services.update_staff(actor=request.user, staff=obj, **changes)
            obj.refresh_from_db()
            return
        fields = {
            k: v
            for k, v in form.cleaned_data.items()
            if k in {*services.EDITABLE_FIELDS, "employee_no", "hall"}
        }
        staff = services.create_staff(actor=request.user, **fields)
        obj.pk, obj._state.adding = staff.pk, False


@admin.register(StaffPosting)
class StaffPostingAdmin(ReadOnlyAdmin):
    list_display = ["staff", "hall", "post", "started_on", "ended_on"]
    list_filter = ["post"]
    search_fields = ["staff__employee_no", "staff__name", "hall__code"]
    list_select_related = ["staff", "hall"]
    date_hierarchy = "started_on"


admin.site.register(Staff.pgh_event_model, EventAdmin)


# --- Rostering. Shift types and coverage policies are hall configuration, edited here; rosters,
# assignments, leave, requests, loans, traffic and qualifications are written by the roster and
# qualification services (rule checks, audit), so the admin only shows them.


@admin.register(ShiftType)
class ShiftTypeAdmin(admin.ModelAdmin):
    list_display = ["hall", "code", "name", "start", "end", "break_minutes", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name", "hall__code", "hall__name"]
    list_select_related = ["hall"]
    autocomplete_fields = ["hall"]


@admin.register(CoveragePolicy)
class CoveragePolicyAdmin(admin.ModelAdmin):
    list_display = ["hall", "service_level", "answer_seconds", "min_rest_hours", "max_consecutive_days"]
    search_fields = ["hall__code", "hall__name"]
    list_select_related = ["hall"]
    autocomplete_fields = ["hall"]


@admin.register(Roster)
class RosterAdmin(ReadOnlyAdmin):
    list_display = ["hall", "period_start", "period_end", "version", "status", "method", "generation_status"]
    list_filter = ["status", "method", "generation_status"]
    search_fields = ["hall__code", "hall__name"]
    list_select_related = ["hall"]


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ["roster", "staff", "date", "shift_type", "post", "window_no"]
    list_filter = ["post"]
    search_fields = ["staff__employee_no", "staff__name", "roster__hall__code"]
    list_select_related = ["roster__hall", "staff", "shift_type"]


@admin.register(Leave)
class LeaveAdmin(ReadOnlyAdmin):
    list_display = ["staff", "kind", "start_date", "end_date", "approved"]
    list_filter = ["kind", "approved"]
    search_fields = ["staff__employee_no", "staff__name"]
    list_select_related = ["staff"]


@admin.register(StaffRequest)
class StaffRequestAdmin(ReadOnlyAdmin):
    list_display = ["staff", "date", "kind", "shift_type", "weight"]
    list_filter = ["kind"]
    search_fields = ["staff__employee_no", "staff__name"]
    list_select_related = ["staff", "shift_type"]


@admin.register(LoanRecord)
class LoanRecordAdmin(ReadOnlyAdmin):
    list_display = ["staff", "from_hall", "to_hall", "start_date", "end_date"]
    search_fields = ["staff__employee_no", "staff__name", "to_hall__code"]
    list_select_related = ["staff", "from_hall", "to_hall"]


@admin.register(TrafficRecord)
class TrafficRecordAdmin(ReadOnlyAdmin):
    list_display = ["hall", "hour", "tickets_issued", "transactions", "avg_handling_seconds"]
    search_fields = ["hall__code"]
    date_hierarchy = "hour"
    list_select_related = ["hall"]


@admin.register(Qualification)
class QualificationAdmin(ReadOnlyAdmin):
    list_display = ["staff", "post", "granted_on", "expires_on", "source"]
    list_filter = ["post", "source"]
    search_fields = ["staff__employee_no", "staff__name"]
    list_select_related = ["staff"]


@admin.register(DisciplineRecord)
class DisciplineRecordAdmin(ReadOnlyAdmin):
    """Labour-discipline evidence, written by staffing.services.record_discipline (audited)."""

    list_display = ["staff", "hall", "occurred_on", "kind", "deduction"]
    list_filter = ["kind"]
    search_fields = ["staff__employee_no", "staff__name", "hall__code"]
    list_select_related = ["staff", "hall"]
