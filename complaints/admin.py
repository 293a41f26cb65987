from django.contrib import admin

from complaints.models import SlaPolicy


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    """Time limits are configuration: edited here, copied onto complaints at intake."""

    list_display = ["severity", "channel", "resolve_hours", "count_business_hours", "due_soon_minutes"]
    list_filter = ["severity", "channel", "count_business_hours"]
