from django.contrib import admin

from complaints.models import BranchCalendarOverride, SlaPolicy


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    """Time limits are configuration: edited here, copied onto complaints at intake."""

    list_display = ["severity", "channel", "resolve_hours", "count_business_hours", "due_soon_minutes"]
    list_filter = ["severity", "channel", "count_business_hours"]


@admin.register(BranchCalendarOverride)
class BranchCalendarOverrideAdmin(admin.ModelAdmin):
    list_display = ["branch", "date", "is_working_day", "note"]
    list_filter = ["branch", "is_working_day"]
    readonly_fields = ["created_by", "created_at"]
