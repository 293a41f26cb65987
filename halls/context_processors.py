from halls.scoping import scope_for


def navigation(request):
    """The roles of the signed-in user, for the navigation bar."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = scope_for(user)
    return {"nav_roles": sorted(scope.roles), "nav_is_admin": scope.sees_everything}
