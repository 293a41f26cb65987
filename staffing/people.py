"""How a login is shown to people: by the name of the staff member it belongs to (Staff.user),
not by its username. Callers load the staff row with the user (`select_related("<user>__staff")`,
plus `"<user>__staff__hall"` for `with_post=True`), so a list of people costs no extra query;
a login without a staff record (a branch manager, an inspector) falls back to the user's full
name, then the username."""

from django.core.exceptions import ObjectDoesNotExist

from staffing.models import Staff


def staff_of(user) -> Staff | None:
    """The staff record of `user`, or None (no query when it was loaded with the user)."""
    if user is None:
        return None
    try:
        return user.staff
    except ObjectDoesNotExist:
        return None


def person_label(user, *, with_post: bool = False) -> str:
    """The staff member's name ("李营业员"; with `with_post`, "李营业员 · Clerk · 解放路营业厅"),
    else the user's full name, else the username. Empty for no user."""
    if user is None:
        return ""
    staff = staff_of(user)
    if staff is None:
        return user.get_full_name() or user.get_username()
    if not with_post:
        return staff.name
    return " · ".join([staff.name, str(staff.get_post_display()), staff.hall.name])
