"""Who sees what: one scope per user, computed once per request.

Every `visible_to(user)` in the project starts here. A scope holds the region
subtrees (branch managers, inspectors, HR API clients), the halls a user manages
(hall managers) and, for a clerk, the clerk's own hall and staff record.
"""

from dataclasses import dataclass, field

from halls.models import HALL_ROLES, REGION_ROLES, Role

_CACHE_ATTR = "_hallops_scope"


@dataclass(frozen=True)
class Scope:
    sees_everything: bool = False
    region_paths: tuple[str, ...] = ()
    managed_hall_ids: frozenset[int] = frozenset()
    own_hall_id: int | None = None
    own_staff_id: int | None = None
    # role -> region paths (region roles) or hall ids (hall roles) where it is held
    region_roles: dict[str, tuple[str, ...]] = field(default_factory=dict)
    hall_roles: dict[str, frozenset[int]] = field(default_factory=dict)
    api_client_can_write: bool = False

    @property
    def hall_ids(self) -> frozenset[int]:
        ids = set(self.managed_hall_ids)
        if self.own_hall_id:
            ids.add(self.own_hall_id)
        return frozenset(ids)

    @property
    def roles(self) -> set[str]:
        roles = set(self.region_roles) | set(self.hall_roles)
        if self.own_staff_id:
            roles.add(Role.CLERK)
        return roles

    def roles_over_hall(self, hall) -> set[str]:
        """Roles the user holds over one hall (needs hall.region.path loaded)."""
        roles = {role for role, paths in self.region_roles.items() if hall.region.path.startswith(paths)}
        roles |= {role for role, ids in self.hall_roles.items() if hall.pk in ids}
        if self.own_hall_id == hall.pk:
            roles.add(Role.CLERK)
        return roles


EMPTY_SCOPE = Scope()


def scope_for(user) -> Scope:
    if user is None or not user.is_authenticated or not user.is_active:
        return EMPTY_SCOPE
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    scope = _build_scope(user)
    setattr(user, _CACHE_ATTR, scope)
    return scope


def forget_scope(user) -> None:
    """Drop the cached scope (after memberships change within one request or test)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def _build_scope(user) -> Scope:
    if user.is_superuser:
        return Scope(sees_everything=True)
    from halls.models import ApiClient, Membership
    from staffing.models import Staff

    region_roles: dict[str, list[str]] = {}
    hall_roles: dict[str, set[int]] = {}
    for role, region_path, hall_id in Membership.objects.filter(user=user).values_list(
        "role", "region__path", "hall_id"
    ):
        if role in REGION_ROLES and region_path:
            region_roles.setdefault(role, []).append(region_path)
        elif role in HALL_ROLES and hall_id:
            hall_roles.setdefault(role, set()).add(hall_id)

    can_write = False
    client = ApiClient.objects.filter(user=user, is_active=True).first()
    if client is not None:
        region_roles[Role.HR_CLIENT] = list(client.regions.values_list("path", flat=True))
        can_write = client.can_write

    own = Staff.objects.filter(user=user).exclude(status=Staff.Status.LEFT).values("pk", "hall_id").first()
    all_paths = sorted({p for paths in region_roles.values() for p in paths})
    return Scope(
        region_paths=tuple(all_paths),
        managed_hall_ids=frozenset(i for ids in hall_roles.values() for i in ids),
        own_hall_id=own["hall_id"] if own else None,
        own_staff_id=own["pk"] if own else None,
        region_roles={role: tuple(paths) for role, paths in region_roles.items()},
        hall_roles={role: frozenset(ids) for role, ids in hall_roles.items()},
        api_client_can_write=can_write,
    )
