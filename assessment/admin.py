"""Admin for assessment: read-only. Schemes, facts, results and star levels change only through
assessment.services (validation, locks, audit rows, frozen published numbers)."""

from django.contrib import admin

from assessment.models import (
    Appeal,
    AssessmentScheme,
    CustomerEvaluation,
    DailyKpi,
    EliminationEntry,
    EliminationList,
    EliminationRule,
    FactImport,
    FactRevision,
    Indicator,
    MonthlyResult,
    ResultRun,
    ScoreFact,
    StarLevelChange,
    StarLevelPolicy,
    SupervisorRating,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class IndicatorInline(admin.TabularInline):
    model = Indicator
    fields = ["position", "code", "name", "source", "measure", "aggregate", "weight", "max_points", "rule"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(AssessmentScheme)
class AssessmentSchemeAdmin(ReadOnlyAdmin):
    inlines = [IndicatorInline]
    list_display = ["post", "version", "name", "status", "effective_from", "effective_to"]
    list_filter = ["post", "status"]


@admin.register(ResultRun)
class ResultRunAdmin(ReadOnlyAdmin):
    list_display = ["branch", "month", "version", "status", "progress", "staff_count", "published_at"]
    list_filter = ["status", "month"]
    list_select_related = ["branch"]


@admin.register(MonthlyResult)
class MonthlyResultAdmin(ReadOnlyAdmin):
    list_display = ["staff", "month", "hall", "post", "total", "rank_in_hall", "rank_in_branch", "run"]
    list_filter = ["month", "post"]
    list_select_related = ["staff", "hall", "run__branch"]
    search_fields = ["staff__employee_no", "staff__name"]
    raw_id_fields = ["run", "staff", "hall", "scheme"]


@admin.register(ScoreFact)
class ScoreFactAdmin(ReadOnlyAdmin):
    list_display = [
        "staff",
        "month",
        "occurred_on",
        "source",
        "measure",
        "value",
        "evidence_type",
        "evidence_id",
    ]
    list_filter = ["source", "month"]
    list_select_related = ["staff"]
    search_fields = ["staff__employee_no", "evidence_label"]
    raw_id_fields = ["staff", "hall"]
    show_full_result_count = False


for model, fields in (
    (Indicator, ["scheme", "code", "weight", "rule"]),
    (CustomerEvaluation, ["device_txn_id", "staff", "hall", "rated_at", "rating"]),
    (DailyKpi, ["staff", "day", "transactions", "recommendations", "sales"]),
    (SupervisorRating, ["staff", "month", "attitude", "skill", "teamwork", "appearance"]),
    (FactImport, ["kind", "filename", "rows", "created_rows", "imported_by", "created_at"]),
    (FactRevision, ["month", "revision", "changed_at"]),
    (StarLevelPolicy, ["name", "effective_from", "average_months", "promote_after_months"]),
    (StarLevelChange, ["staff", "month", "from_level", "to_level"]),
    (EliminationRule, ["branch", "bottom_percent", "bottom_per_hall", "total_below", "consecutive_months"]),
    (EliminationList, ["run", "month", "status", "confirmed_at"]),
    (EliminationEntry, ["elimination_list", "staff", "hall", "status", "outcome"]),
    (Appeal, ["entry", "filed_by", "status", "decided_by", "decided_at"]),
):
    admin.site.register(
        model,
        type(
            f"{model.__name__}Admin",
            (ReadOnlyAdmin,),
            {"list_display": fields, "show_full_result_count": False},
        ),
    )
