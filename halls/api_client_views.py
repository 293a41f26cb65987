"""Settings pages for administrators: API clients (scopes, regions, rate limit, token rotation
and revocation), their request log and their webhook subscriptions and deliveries.

A new token or webhook secret is shown once, in the answer to the POST that made it (200, not a
redirect), so that it is never stored anywhere in clear — not even in the session."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from halls import selectors, services, webhooks
from halls.exceptions import DomainError
from halls.forms import ApiClientForm, RotateTokenForm, WebhookSubscriptionForm
from halls.models import ApiClient, WebhookDelivery, WebhookSubscription
from halls.permissions import require_permission

MANAGE = "api_client.manage"


@login_required
def api_client_list(request):
    require_permission(request.user, MANAGE)
    return render(request, "halls/api_client_list.html", {"clients": selectors.api_client_list()})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def api_client_create(request):
    require_permission(request.user, MANAGE)
    form = ApiClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        created = form.save(actor=request.user)
        if created:
            client, raw = created
            return render(request, "halls/api_client_secret.html", {"client": client, "token": raw})
    return render(request, "halls/api_client_form.html", {"form": form})


def _detail_context(client, **forms):
    return {
        "client": client,
        "form": forms.get("form") or ApiClientForm(client=client),
        "rotate_form": forms.get("rotate_form") or RotateTokenForm(client=client),
        "webhook_form": forms.get("webhook_form") or WebhookSubscriptionForm(client=client),
        **selectors.api_client_activity(client),
    }


@login_required
@require_http_methods(["GET", "POST"])
def api_client_detail(request, pk: int):
    require_permission(request.user, MANAGE)
    client = get_object_or_404(selectors.api_client_list(), pk=pk)
    form = ApiClientForm(request.POST or None, client=client)
    if request.method == "POST" and form.is_valid() and form.save(actor=request.user):
        messages.success(request, _("API client %(name)s saved.") % {"name": form.cleaned_data["name"]})
        return _see_other(client)
    return render(request, "halls/api_client_detail.html", _detail_context(client, form=form))


def _see_other(client):
    response = redirect("api_client_detail", pk=client.pk)
    response.status_code = 303
    return response


@never_cache
@login_required
@require_POST
def api_client_rotate(request, pk: int):
    require_permission(request.user, MANAGE)
    client = get_object_or_404(ApiClient, pk=pk)
    form = RotateTokenForm(request.POST, client=client)
    raw = form.save(actor=request.user) if form.is_valid() else None
    if raw:
        return render(
            request, "halls/api_client_secret.html", {"client": client, "token": raw, "rotated": True}
        )
    client = get_object_or_404(selectors.api_client_list(), pk=pk)
    return render(
        request, "halls/api_client_detail.html", _detail_context(client, rotate_form=form), status=400
    )


@login_required
@require_POST
def api_client_revoke(request, pk: int):
    require_permission(request.user, MANAGE)
    client = get_object_or_404(ApiClient, pk=pk)
    services.revoke_api_client(actor=request.user, client=client)
    messages.success(
        request, _("API client %(name)s revoked: its token no longer works.") % {"name": client.name}
    )
    return _see_other(client)


@never_cache
@login_required
@require_POST
def api_client_webhook_create(request, pk: int):
    require_permission(request.user, MANAGE)
    client = get_object_or_404(ApiClient, pk=pk)
    form = WebhookSubscriptionForm(request.POST, client=client)
    created = form.save(actor=request.user) if form.is_valid() else None
    if created:
        subscription, secret = created
        return render(
            request,
            "halls/api_client_secret.html",
            {"client": client, "subscription": subscription, "secret": secret},
        )
    client = get_object_or_404(selectors.api_client_list(), pk=pk)
    return render(
        request, "halls/api_client_detail.html", _detail_context(client, webhook_form=form), status=400
    )


@login_required
@require_POST
def webhook_unsubscribe(request, pk: int):
    require_permission(request.user, MANAGE)
    subscription = get_object_or_404(WebhookSubscription.objects.select_related("client"), pk=pk)
    webhooks.unsubscribe(actor=request.user, subscription=subscription)
    messages.success(request, _("Webhook to %(url)s stopped.") % {"url": subscription.url})
    return _see_other(subscription.client)


@login_required
@require_POST
def webhook_redeliver(request, pk: int):
    require_permission(request.user, MANAGE)
    delivery = get_object_or_404(WebhookDelivery.objects.select_related("subscription__client"), pk=pk)
    try:
        webhooks.redeliver(actor=request.user, delivery=delivery)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Delivery queued again."))
    return _see_other(delivery.subscription.client)
