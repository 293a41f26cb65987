"""Admin for the tenancy root. Regions and API clients are created through halls.services, so
paths are set and tokens are only ever stored hashed; audit and history are read-only."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from halls import services
from halls.exceptions import DomainError
from halls.models import (
    ApiClient,
    AuditEvent,
    Hall,
    IdempotencyKey,
    Membership,
    Notification,
    OpeningHours,
    Region,
    UserSession,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Evidence: shown, never added, changed or deleted here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class RegionForm(forms.ModelForm):
    class Meta:
        model = Region
        fields = ["code", "name", "kind", "parent"]

    def clean(self):
        cleaned = super().clean()
        kind, parent = cleaned.get("kind"), cleaned.get("parent")
        if kind == Region.Kind.BRANCH and parent is not None:
            raise ValidationError({"parent": _("A branch has no parent region.")})
        if kind == Region.Kind.COUNTY and (parent is None or parent.kind != Region.Kind.BRANCH):
            raise ValidationError({"parent": _("A county office belongs to a branch.")})
        return cleaned


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    form = RegionForm
    list_display = ["code", "name", "kind", "parent", "path", "updated_at"]
    list_filter = ["kind"]
    search_fields = ["code", "name", "path"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["path", "created_at", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        # The code and the parent make up the materialized path of the whole subtree.
        if obj is not None:
            return [*self.readonly_fields, "code", "kind", "parent"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["name", "updated_at"])
            return
        region = services.create_region(
            code=obj.code, name=obj.name, kind=obj.kind, parent=obj.parent, actor=request.user
        )
        obj.pk, obj.path, obj._state.adding = region.pk, region.path, False


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0
    max_num = 7


@admin.register(Hall)
class HallAdmin(admin.ModelAdmin):
    inlines = [OpeningHoursInline]
    list_display = ["code", "name", "hall_class", "operation", "region", "window_count", "is_active"]
    list_filter = [
        "hall_class",
        "operation",
        "is_active",
        "has_vip_zone",
        ("region__parent", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["code", "name", "address"]
    list_select_related = ["region"]
    autocomplete_fields = ["region"]
    readonly_fields = ["created_at", "updated_at"]
    fields = [
        "code",
        "name",
        "hall_class",
        "operation",
        "region",
        "address",
        "window_count",
        "has_vip_zone",
        "min_staff_offpeak",
        "min_staff_peak",
        "is_active",
        "created_at",
        "updated_at",
    ]

    def save_model(self, request, obj, form, change):
        values = {name: form.cleaned_data[name] for name in services.HALL_FIELDS if name in form.cleaned_data}
        if change:
            services.update_hall(
                actor=request.user, hall=obj, **{k: values[k] for k in form.changed_data if k in values}
            )
            obj.refresh_from_db()
            return
        hall = services.create_hall(actor=request.user, **values)
        obj.pk, obj._state.adding = hall.pk, False


@admin.register(OpeningHours)
class OpeningHoursAdmin(admin.ModelAdmin):
    list_display = ["hall", "weekday", "opens_at", "closes_at"]
    list_filter = ["weekday"]
    search_fields = ["hall__code", "hall__name"]
    list_select_related = ["hall"]
    autocomplete_fields = ["hall"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "region", "hall", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "region__code", "region__name", "hall__code", "hall__name"]
    list_select_related = ["user", "region", "hall"]
    autocomplete_fields = ["user", "region", "hall"]


class ApiClientForm(forms.ModelForm):
    class Meta:
        model = ApiClient
        fields = ["name", "user", "regions", "can_write", "is_active"]


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    form = ApiClientForm
    list_display = ["name", "user", "token_prefix", "can_write", "is_active", "last_used_at", "created_at"]
    list_filter = ["is_active", "can_write"]
    search_fields = ["name", "user__username", "token_prefix"]
    list_select_related = ["user"]
    autocomplete_fields = ["user", "regions"]
    readonly_fields = ["token_prefix", "last_used_at", "created_at"]
    actions = ["rotate_token", "revoke"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        client, raw = services.create_api_client(
            actor=request.user,
            name=form.cleaned_data["name"],
            user=form.cleaned_data["user"],
            regions=form.cleaned_data["regions"],
            can_write=form.cleaned_data["can_write"],
        )
        obj.pk, obj.token_prefix, obj.token_hash, obj._state.adding = (
            client.pk,
            client.token_prefix,
            client.token_hash,
            False,
        )
        self._show_token(request, client, raw)

    def save_related(self, request, form, formsets, change):
        # On creation the service has set the regions already (and audited them).
        if change:
            super().save_related(request, form, formsets, change)

    def _show_token(self, request, client, raw):
        messages.warning(
            request,
            _(
                "Token for %(client)s: %(token)s — copy it now, it is stored hashed and will not be shown again."
            )
            % {"client": client.name, "token": raw},
        )

    @admin.action(description=_("Issue a new token (the old one stops working)"))
    def rotate_token(self, request, queryset):
        for client in queryset:
            self._show_token(
                request, client, services.rotate_api_client_token(actor=request.user, client=client)
            )

    @admin.action(description=_("Revoke (deactivate) the selected clients"))
    def revoke(self, request, queryset):
        for client in queryset:
            services.revoke_api_client(actor=request.user, client=client)
        self.message_user(request, _("%(count)d API clients revoked.") % {"count": queryset.count()})


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "action", "actor", "hall", "subject_type", "subject_id"]
    list_filter = ["action", "subject_type"]
    search_fields = ["action", "subject_id", "actor__username", "hall__code"]
    list_select_related = ["actor", "hall", "subject_type"]
    date_hierarchy = "created_at"


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "recipient", "subject", "hall", "read_at", "emailed_at"]
    list_filter = ["kind"]
    search_fields = ["subject", "dedup_key", "recipient__username"]
    list_select_related = ["recipient", "hall"]
    date_hierarchy = "created_at"


class EventAdmin(ReadOnlyAdmin):
    """pghistory's trigger-written field history of one tracked model."""

    list_display = ["pgh_created_at", "pgh_label", "pgh_obj", "pgh_context_id"]
    list_filter = ["pgh_label"]
    list_select_related = ["pgh_obj"]
    date_hierarchy = "pgh_created_at"


admin.site.register(Region.pgh_event_model, EventAdmin)
admin.site.register(Hall.pgh_event_model, EventAdmin)


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnlyAdmin):
    list_display = ["key", "user", "status", "response_status", "created_at", "completed_at"]
    list_filter = ["status"]
    search_fields = ["key", "user__username"]
    list_select_related = ["user"]


# --- Users and sessions: deactivation ends sessions and API tokens at once (halls.services.deactivate_user).
User = get_user_model()


class HallOpsUserAdmin(UserAdmin):
    actions = ["deactivate_users"]

    @admin.action(description=_("Deactivate selected users and end their sessions and tokens"))
    def deactivate_users(self, request, queryset):
        ended = {"users": 0, "sessions": 0, "clients": 0}
        for user in queryset.order_by("pk"):
            try:
                result = services.deactivate_user(actor=request.user, user=user)
            except (DomainError, PermissionDenied) as exc:
                message = (
                    exc.message if isinstance(exc, DomainError) else gettext("You may not deactivate users.")
                )
                self.message_user(request, f"{user.get_username()}: {message}", messages.ERROR)
                continue
            ended["users"] += 1
            ended["sessions"] += result["sessions_ended"]
            ended["clients"] += result["api_clients_revoked"]
        if ended["users"]:
            self.message_user(
                request,
                gettext(
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
