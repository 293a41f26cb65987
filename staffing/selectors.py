"""Reads of staff for pages and the API, with joins applied (a fixed number of queries per page)."""

from staffing.models import Staff, StaffPosting


def staff_list(*, user):
    return Staff.objects.visible_to(user).select_related("hall", "hall__region", "hall__region__parent")


def staff_postings(*, staff: Staff):
    return StaffPosting.objects.filter(staff=staff).select_related("hall").order_by("-started_on")
