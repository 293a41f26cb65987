"""REST API v1. Each app registers its viewsets here; OpenAPI at /api/schema/."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from assessment.api import (
    DisciplineRecordView,
    EvaluationImportView,
    HallRankingView,
    KpiImportView,
    MonthlyResultViewSet,
    ResultRunViewSet,
    StarLevelChangeViewSet,
    SupervisorRatingView,
)
from assessment.elimination_api import (
    AppealViewSet,
    EliminationEntryViewSet,
    EliminationListViewSet,
    EliminationRuleView,
)
from assessment.mystery_shop.api import register_routes as register_mystery_shop_routes
from complaints.api import ComplaintViewSet
from halls.api import HallViewSet
from staffing.api import StaffViewSet
from staffing.roster_api import AssignmentViewSet, RosterViewSet, ShiftTypeViewSet
from training.api import (
    AttendanceViewSet,
    ExamResultViewSet,
    QualificationViewSet,
    TrainingProgramViewSet,
    TrainingSessionViewSet,
)

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("halls", HallViewSet, basename="api-hall")
router.register("staff", StaffViewSet, basename="api-staff")
router.register("shift-types", ShiftTypeViewSet, basename="api-shift-type")
router.register("rosters", RosterViewSet, basename="api-roster")
router.register("assignments", AssignmentViewSet, basename="api-assignment")
router.register("complaints", ComplaintViewSet, basename="api-complaint")
router.register("assessment/results", MonthlyResultViewSet, basename="api-assessment-result")
router.register("assessment/runs", ResultRunViewSet, basename="api-assessment-run")
router.register(
    "assessment/star-level-changes", StarLevelChangeViewSet, basename="api-assessment-star-change"
)
router.register("training/programmes", TrainingProgramViewSet, basename="api-training-program")
router.register("training/sessions", TrainingSessionViewSet, basename="api-training-session")
router.register("training/attendance", AttendanceViewSet, basename="api-training-attendance")
router.register("training/exam-results", ExamResultViewSet, basename="api-training-exam-result")
router.register("qualifications", QualificationViewSet, basename="api-qualification")
router.register("assessment/elimination-lists", EliminationListViewSet, basename="api-assessment-elimination")
router.register(
    "assessment/elimination-entries", EliminationEntryViewSet, basename="api-assessment-elimination-entry"
)
router.register("assessment/elimination-appeals", AppealViewSet, basename="api-assessment-elimination-appeal")
register_mystery_shop_routes(router)

urlpatterns = router.urls + [
    path("assessment/hall-ranking/", HallRankingView.as_view(), name="api-assessment-hall-ranking"),
    path("assessment/supervisor-ratings/", SupervisorRatingView.as_view(), name="api-assessment-rating"),
    path("assessment/discipline-records/", DisciplineRecordView.as_view(), name="api-assessment-discipline"),
    path(
        "assessment/imports/evaluations/",
        EvaluationImportView.as_view(),
        name="api-assessment-import-evaluations",
    ),
    path("assessment/imports/kpis/", KpiImportView.as_view(), name="api-assessment-import-kpis"),
    path(
        "assessment/elimination-rules/<str:branch>/",
        EliminationRuleView.as_view(),
        name="api-assessment-elimination-rule",
    ),
]
