"""Actions and the roles that may perform them: one table, checked by pages and the API.

Seeing an object is scoping (`visible_to`, a 404 otherwise); doing something to a
visible object is a permission (a 403 otherwise).
"""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS, BasePermission

from halls.models import ApiClient, ApiResource, Role
from halls.scoping import scope_for

BRANCH, INSPECTOR, HALL, CLERK, HR = (
    Role.BRANCH_MANAGER,
    Role.INSPECTOR,
    Role.HALL_MANAGER,
    Role.CLERK,
    Role.HR_CLIENT,
)
EVERYONE = {BRANCH, INSPECTOR, HALL, CLERK, HR}

ACTION_ROLES: dict[str, set[str]] = {
    "hall.view": EVERYONE,
    "hall.create": {BRANCH},
    "hall.change": {BRANCH},
    "user.deactivate": set(),  # administrators only
    "api_client.manage": set(),  # administrators only
    "staff.view": EVERYONE,
    "staff.create": {BRANCH, HALL},
    "staff.change": {BRANCH, HALL},
    "staff.transfer": {BRANCH},
    "audit.view": {BRANCH, HALL},
    "roster.view": EVERYONE,
    "roster.edit": {BRANCH, HALL},
    "roster.publish": {BRANCH, HALL},
    "roster.generate": {BRANCH, HALL},
    "roster.import": {BRANCH, HALL},
    "roster.request": {HALL, CLERK},
    "leave.manage": {BRANCH, HALL},
    "loan.manage": {BRANCH},
    "traffic.import": {BRANCH, HALL},
    "qualification.grant": {BRANCH, HALL},
    "complaint.view": EVERYONE,
    "complaint.create": {BRANCH, HALL, CLERK, HR},
    "complaint.handle": {BRANCH, HALL, CLERK},
    "complaint.assign": {BRANCH, HALL},
    "complaint.decide_accountability": {BRANCH, HALL},
    "complaint.view_unmasked": {BRANCH, HALL},
    "complaint.export": {BRANCH, INSPECTOR, HALL},
    "complaint.manage_calendar": {BRANCH},
    "complaint.view_summary": {BRANCH, INSPECTOR, HALL},
    "staff.discipline": {BRANCH, HALL},
    "assessment.results.view": EVERYONE,
    "assessment.runs.view": {BRANCH, INSPECTOR},
    "assessment.compute": {BRANCH},
    "assessment.publish": {BRANCH},
    "assessment.rate": {HALL},
    "assessment.import": {BRANCH, HALL},
    "assessment.manage_schemes": {BRANCH},
    "training.view": EVERYONE,
    "training.manage": {BRANCH, HALL},
    "training.manage_programs": {BRANCH},
    "training.record": {BRANCH, HALL},
    "training.plan": {BRANCH, HALL},
    "elimination.view": {BRANCH, HALL, CLERK, HR},
    "elimination.manage_rule": {BRANCH},
    "elimination.review": {BRANCH},
    "elimination.confirm": {BRANCH},
    "elimination.decide_appeal": {BRANCH},
    "elimination.record_outcome": {BRANCH},
    "elimination.appeal": {HALL, CLERK},
    # Mystery shop (明查暗访): the market department inspects; unpublished visits are scoped to it.
    "mystery.view": EVERYONE,
    "mystery.inspect": {INSPECTOR},
    "mystery.manage_templates": {INSPECTOR},
    "mystery.rectify": {HALL},
    "mystery.report": {BRANCH, INSPECTOR, HALL},
    "mystery.export": {BRANCH, INSPECTOR, HALL},
}


class ClientScopeMissing(exceptions.PermissionDenied):
    default_code = "scope_missing"


def has_permission(user, action: str, *, hall=None) -> bool:
    """May `user` perform `action`, over `hall` when given (else: anywhere)?"""
    if not user.is_authenticated or not user.is_active:
        return False
    scope = scope_for(user)
    if scope.sees_everything:
        return True
    allowed = ACTION_ROLES[action]
    held = scope.roles_over_hall(hall) if hall is not None else scope.roles
    if HR in held and not action.endswith(".view") and not scope.api_client_can_write:
        held = held - {HR}
    return bool(held & allowed)


def require_permission(user, action: str, *, hall=None) -> None:
    if not has_permission(user, action, hall=hall):
        raise PermissionDenied(action)


# The resource family an action belongs to, by the action's first word; a view may name its own
# (`api_resource = ApiResource.QUALIFICATIONS`). API clients need a scope for that family.
ACTION_RESOURCES = {
    "hall": ApiResource.HALLS,
    "staff": ApiResource.STAFF,
    "roster": ApiResource.ROSTERS,
    "assessment": ApiResource.ASSESSMENT,
    "elimination": ApiResource.ELIMINATION,
    "complaint": ApiResource.COMPLAINTS,
    "training": ApiResource.TRAINING,
    "qualification": ApiResource.QUALIFICATIONS,
    "mystery": ApiResource.INSPECTIONS,
}


def api_resource_of(view, action: str | None) -> str | None:
    resource = getattr(view, "api_resource", None)
    if resource is None and action:
        resource = ACTION_RESOURCES.get(action.split(".", 1)[0])
    return resource


class HasActionPermission(BasePermission):
    """DRF permission: the view maps its DRF actions to ours in `permission_actions`.

    Object-level checks use the object's hall (`get_permission_hall(obj)` on the view,
    else `obj.hall`). Views without a mapping refuse everything but authenticated reads.
    """

    def _action(self, view) -> str | None:
        mapping = getattr(view, "permission_actions", {})
        name = getattr(view, "action", None) or view.request.method.lower()
        if name == "deleted" and "deleted" not in mapping:
            name = "list"  # a resource's tombstones (halls.sync_api) are read like its list
        return mapping.get(name)

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        action = self._action(view)
        if isinstance(request.auth, ApiClient):
            self._check_client_scope(request.auth, api_resource_of(view, action), request.method)
        if action is None:
            return request.method in ("GET", "HEAD", "OPTIONS") and not getattr(
                view, "permission_actions", None
            )
        return has_permission(request.user, action)

    def _check_client_scope(self, client: ApiClient, resource: str | None, method: str) -> None:
        """An API client reaches a resource family only through a scope naming it (a 403 saying
        which scope is missing); reads need `<family>:read` or `:write`, writes `:write`."""
        write = method not in SAFE_METHODS
        if resource is not None and client.allows(resource, write=write):
            return
        if resource is None:
            raise ClientScopeMissing(_("API clients have no access to this endpoint."))
        scope = f"{resource}:{'write' if write else 'read'}"
        raise ClientScopeMissing(_("This API client lacks the scope %(scope)s.") % {"scope": scope})

    def has_object_permission(self, request, view, obj):
        action = self._action(view)
        if action is None:
            return False
        getter = getattr(view, "get_permission_hall", None)
        hall = getter(obj) if getter else getattr(obj, "hall", obj)
        return has_permission(request.user, action, hall=hall)
