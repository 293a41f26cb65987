from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from halls.exceptions import DomainError
from halls.models import UserSession
from halls.services import deactivate_user

User = get_user_model()


class HallOpsUserAdmin(UserAdmin):
    actions = ["deactivate_users"]

    @admin.action(description=gettext_lazy("Deactivate selected users and end their sessions and tokens"))
    def deactivate_users(self, request, queryset):
        ended = {"users": 0, "sessions": 0, "clients": 0}
        for user in queryset.order_by("pk"):
            try:
                result = deactivate_user(actor=request.user, user=user)
            except (DomainError, PermissionDenied) as exc:
                message = exc.message if isinstance(exc, DomainError) else _("You may not deactivate users.")
                self.message_user(request, f"{user.get_username()}: {message}", messages.ERROR)
                continue
            ended["users"] += 1
            ended["sessions"] += result["sessions_ended"]
            ended["clients"] += result["api_clients_revoked"]
        if ended["users"]:
            self.message_user(
                request,
                _(
                    "Users deactivated: %(users)d. Sessions ended: %(sessions)d. API tokens revoked: %(clients)d."
                )
                % ended,
                messages.SUCCESS,
            )


admin.site.unregister(User)
admin.site.register(User, HallOpsUserAdmin)


@admin.register(UserSession)
class UserSessionAdmin(admin.ModelAdmin):
    """Who is signed in, until when; read-only (`deactivate_user` ends sessions). The session key
    is the cookie's value, so it is never listed, linked or offered for selection."""

    list_display = ["user", "expire_date"]
    list_display_links = None
    actions = None
    list_select_related = ["user"]
    search_fields = ["user__username"]
    fields = ["user", "expire_date"]
    readonly_fields = ["user", "expire_date"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
