"""Read-only admin of the mystery-shop models (changes go through the services and pages).
Imported by AssessmentConfig.ready. Unpublished visits are visible here to superusers only."""

from django.contrib import admin

from assessment.admin import ReadOnlyAdmin
from assessment.mystery_shop.models import (
    Answer,
    AnswerPhoto,
    ChecklistCategory,
    ChecklistItem,
    ChecklistTemplate,
    Rectification,
    Visit,
    VisitClerk,
    VisitScore,
)


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(ReadOnlyAdmin):
    list_display = ["name", "version", "is_active", "updated_at"]


@admin.register(ChecklistItem)
class ChecklistItemAdmin(ReadOnlyAdmin):
    list_display = ["template", "code", "text", "scope", "deduction", "photo_required", "is_veto"]
    list_filter = ["template"]


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    list_display = ["hall", "visited_at", "mode", "status", "hall_score", "inspector"]
    list_filter = ["status", "mode"]
    list_select_related = ["hall", "inspector"]


@admin.register(Rectification)
class RectificationAdmin(ReadOnlyAdmin):
    list_display = ["hall", "answer", "deadline", "status"]
    list_filter = ["status"]
    list_select_related = ["hall", "answer"]


for model in (ChecklistCategory, VisitClerk, Answer, AnswerPhoto, VisitScore):
    admin.site.register(model, ReadOnlyAdmin)
