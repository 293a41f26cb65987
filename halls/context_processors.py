from django.utils.functional import SimpleLazyObject

from halls.models import Role
from halls.permissions import has_permission
from halls.scoping import scope_for
from halls.selectors import unread_notification_count


def navigation(request):
    """The roles of the signed-in user, the sections they may open and their unread
    notifications (one COUNT query, on first use in the template), for the navigation bar."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = scope_for(user)
    roles = sorted(scope.roles)
    return {
        "nav_roles": roles,
        "nav_role_labels": [Role(role).label for role in roles],
        "nav_is_admin": scope.sees_everything,
        "nav_can_view_halls": has_permission(user, "hall.view"),
        "nav_can_view_staff": has_permission(user, "staff.view"),
        "nav_can_view_complaints": has_permission(user, "complaint.view"),
        "nav_can_view_rosters": has_permission(user, "roster.view"),
        "nav_can_view_training": has_permission(user, "training.view"),
        "nav_can_view_assessment": has_permission(user, "assessment.results.view"),
        "nav_can_view_inspections": has_permission(user, "mystery.view"),
        "nav_unread_notifications": SimpleLazyObject(lambda: unread_notification_count(user=user)),
    }
