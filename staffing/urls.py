from datetime import date

from django.urls import path, register_converter

from staffing import roster_views, views


class IsoDateConverter:
    """A date in the path as YYYY-MM-DD; anything else does not match (a 404)."""

    regex = r"\d{4}-\d{2}-\d{2}"

    def to_python(self, value: str) -> date:
        return date.fromisoformat(value)

    def to_url(self, value) -> str:
        return value.isoformat() if isinstance(value, date) else str(value)


register_converter(IsoDateConverter, "isodate")

urlpatterns = [
    path("", views.staff_list, name="staff_list"),
    path("new/", views.staff_create, name="staff_create"),
    path("<int:pk>/", views.staff_detail, name="staff_detail"),
    path("<int:pk>/edit/", views.staff_edit, name="staff_edit"),
    path("<int:pk>/transfer/", views.staff_transfer, name="staff_transfer"),
    # --- rostering pages ---
    path("rosters/", roster_views.roster_halls, name="roster_halls"),
    path("rosters/my/", roster_views.roster_my_schedule, name="roster_my_schedule"),
    path("rosters/hall/<int:pk>/", roster_views.roster_list_page, name="roster_list"),
    path("rosters/hall/<int:pk>/new/", roster_views.roster_generate, name="roster_generate"),
    path("rosters/hall/<int:pk>/import/", roster_views.roster_import_page, name="roster_import"),
    path("rosters/hall/<int:pk>/leave/", roster_views.roster_leave, name="roster_leave"),
    path("rosters/hall/<int:pk>/requests/", roster_views.roster_requests, name="roster_requests"),
    path("rosters/hall/<int:pk>/shift-types/", roster_views.roster_shift_types, name="roster_shift_types"),
    path(
        "rosters/hall/<int:pk>/shift-types/new/",
        roster_views.roster_shift_type_create,
        name="roster_shift_type_create",
    ),
    path(
        "rosters/shift-types/<int:pk>/edit/",
        roster_views.roster_shift_type_edit,
        name="roster_shift_type_edit",
    ),
    path(
        "rosters/shift-types/<int:pk>/active/",
        roster_views.roster_shift_type_active,
        name="roster_shift_type_active",
    ),
    path("rosters/hall/<int:pk>/traffic/", roster_views.roster_traffic_import, name="roster_traffic_import"),
    path("rosters/<int:pk>/", roster_views.roster_detail, name="roster_detail"),
    path("rosters/<int:pk>/progress/", roster_views.roster_progress, name="roster_progress"),
    path("rosters/<int:pk>/cell/<int:staff_pk>/<isodate:day>/", roster_views.roster_cell, name="roster_cell"),
    path("rosters/<int:pk>/publish/", roster_views.roster_publish, name="roster_publish"),
    path("rosters/<int:pk>/compare/", roster_views.roster_compare, name="roster_compare"),
    path("rosters/<int:pk>/export.xlsx", roster_views.roster_export, name="roster_export"),
    path("<int:pk>/schedule/", roster_views.roster_staff_schedule, name="roster_staff_schedule"),
]
