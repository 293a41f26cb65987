"""Admin for training. Programmes and their stages are configuration and edited here; attendance,
exam results are evidence: shown, never changed here."""

from django.contrib import admin

from halls.admin import ReadOnlyAdmin
from training.models import (
    Attendance,
    ExamResult,
    ImprovementPlan,
    ProgramStage,
    TrainingProgram,
    TrainingSession,
)


class ProgramStageInline(admin.TabularInline):
    model = ProgramStage
    extra = 1


@admin.register(TrainingProgram)
class TrainingProgramAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "required_hours", "qualification_post", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name"]
    inlines = [ProgramStageInline]


@admin.register(TrainingSession)
class TrainingSessionAdmin(ReadOnlyAdmin):
    list_display = ["date", "starts_at", "kind", "topic", "trainer", "program"]
    list_filter = ["kind", "date"]
    search_fields = ["topic", "trainer"]


@admin.register(Attendance)
class AttendanceAdmin(ReadOnlyAdmin):
    list_display = ["session", "staff", "hall", "status", "hours"]
    list_filter = ["status"]
    list_select_related = ["session", "staff", "hall"]


@admin.register(ExamResult)
class ExamResultAdmin(ReadOnlyAdmin):
    list_display = ["taken_on", "staff", "kind", "score", "max_score", "pass_mark"]
    list_filter = ["kind"]
    list_select_related = ["staff"]


@admin.register(ImprovementPlan)
class ImprovementPlanAdmin(ReadOnlyAdmin):
    list_display = ["month", "staff", "hall", "owner", "status", "verdict"]
    list_filter = ["status", "verdict"]
    list_select_related = ["staff", "hall", "owner"]
