"""The scheme editor (branch management): schemes per post with their versions and effective dates,
a version's indicators, a new version made from an existing one, editing a version no published
month used, and putting a draft in force. The rules live in assessment.services.schemes: a scheme
used by a published month is read-only there and here, and can only be superseded.

The edit and activation pages post the `updated_at` of the version they showed; the service
compares it under the row lock, so of two managers editing the same version the second save is
refused (HTTP 409, nothing saved) and sees the version as it is now instead of overwriting it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Exists, OuterRef, Sum
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from assessment.elimination_views import section_tabs
from assessment.exceptions import SchemeEditConflict, SchemeInvalid
from assessment.models import AssessmentScheme, Indicator, ResultRun
from assessment.scheme_forms import (
    ActivateForm,
    IndicatorFormSet,
    SchemeEditForm,
    SchemeVersionForm,
    indicator_initial,
    updated_at_token,
)
from assessment.services import schemes as services
from assessment.services.compute import add_months
from halls.exceptions import DomainError
from halls.models import AuditEvent
from halls.permissions import require_permission
from staffing.models import Staff


def _see_other(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def _schemes():
    """Schemes with their indicator count, weight sum and whether a published month used them."""
    published = ResultRun.objects.filter(schemes=OuterRef("pk"), published_at__isnull=False)
    return AssessmentScheme.objects.annotate(
        indicator_count=Count("indicators"),
        weight_total=Sum("indicators__weight"),
        frozen=Exists(published),
    )


def _scheme(pk: int) -> AssessmentScheme:
    return get_object_or_404(_schemes(), pk=pk)


@login_required
@require_GET
def scheme_list(request):
    """Every post with its scheme versions (newest first), their status and effective dates."""
    require_permission(request.user, "assessment.manage_schemes")
    versions = list(_schemes().order_by("post", "-version"))
    posts = [
        (label, [scheme for scheme in versions if scheme.post == post]) for post, label in Staff.Post.choices
    ]
    context = {"posts": posts, **section_tabs(request.user)}
    return render(request, "assessment/schemes.html", context)


@login_required
@require_GET
def scheme_detail(request, pk: int):
    """One version's indicators and rules, with what can be done to it and its audit trail."""
    require_permission(request.user, "assessment.manage_schemes")
    scheme = _scheme(pk)
    context = {
        "scheme": scheme,
        "indicators": Indicator.objects.filter(scheme=scheme).order_by("position", "id"),
        "audit_events": AuditEvent.objects.for_object(scheme).select_related("actor")[:50],
        **section_tabs(request.user),
    }
    return render(request, "assessment/scheme_detail.html", context)


def _editor(request, *, scheme, mode: str, form, formset, status: int = 200, conflict: str | None = None):
    context = {"scheme": scheme, "mode": mode, "form": form, "formset": formset, "conflict": conflict}
    return render(request, "assessment/scheme_edit.html", context, status=status)


def _edit_forms(scheme) -> tuple[SchemeEditForm, IndicatorFormSet]:
    """The editor's forms filled from the version as stored now, with its `updated_at` token."""
    form = SchemeEditForm(
        initial={
            "name": scheme.name,
            "effective_from": scheme.effective_from,
            "updated_at": updated_at_token(scheme),
        }
    )
    form.fields["effective_from"].disabled = True
    return form, IndicatorFormSet(initial=indicator_initial(scheme), prefix="indicators")


def _save(form, formset, call) -> AssessmentScheme | None:
    """Run the service; its refusals go beside the fields they name, else to the formset. A stale
    `updated_at` (SchemeEditConflict) goes on the hidden token for the view to answer 409."""
    try:
        return call()
    except SchemeEditConflict as exc:
        form.add_error("updated_at", exc.message)
    except SchemeInvalid as exc:
        if exc.field in form.fields:
            form.add_error(exc.field, exc.message)
        else:
            formset._non_form_errors.append(exc.message)
    except DomainError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    return None


@login_required
@require_http_methods(["GET", "POST"])
def scheme_new_version(request, pk: int):
    """A new draft version of the post's scheme, starting from this version's indicators."""
    require_permission(request.user, "assessment.manage_schemes")
    scheme = _scheme(pk)
    if request.method == "POST":
        form = SchemeVersionForm(request.POST)
        formset = IndicatorFormSet(request.POST, prefix="indicators")
        if form.is_valid() and formset.is_valid():
            created = _save(
                form,
                formset,
                lambda: services.create_scheme_version(
                    actor=request.user,
                    post=scheme.post,
                    name=form.cleaned_data["name"],
                    effective_from=form.cleaned_data["effective_from"],
                    indicators=formset.specs(),
                ),
            )
            if created is not None:
                messages.success(
                    request, _("Version %(version)s was created as a draft.") % {"version": created.version}
                )
                return _see_other(reverse("assessment:scheme-detail", kwargs={"pk": created.pk}))
    else:
        start = max(scheme.effective_from, add_months(timezone.localdate().replace(day=1), 1))
        form = SchemeVersionForm(initial={"name": scheme.name, "effective_from": start})
        formset = IndicatorFormSet(initial=indicator_initial(scheme), prefix="indicators")
    return _editor(request, scheme=scheme, mode="new", form=form, formset=formset)


@login_required
@require_http_methods(["GET", "POST"])
def scheme_edit(request, pk: int):
    """Change a version no published month used (update_scheme); a used one is shown read-only with
    the way to supersede it. The form posts the `updated_at` it showed: a version changed since
    (or a post without the token) answers 409 with the version as it is now and the message,
    nothing saved."""
    require_permission(request.user, "assessment.manage_schemes")
    scheme = _scheme(pk)
    if scheme.frozen:
        return _editor(request, scheme=scheme, mode="frozen", form=None, formset=None)
    if request.method != "POST":
        form, formset = _edit_forms(scheme)
        return _editor(request, scheme=scheme, mode="edit", form=form, formset=formset)
    form = SchemeEditForm(request.POST, initial={"effective_from": scheme.effective_from})
    form.fields["effective_from"].disabled = True
    formset = IndicatorFormSet(request.POST, prefix="indicators")
    if form.is_valid() and formset.is_valid():
        saved = _save(
            form,
            formset,
            lambda: services.update_scheme(
                actor=request.user,
                scheme=scheme,
                name=form.cleaned_data["name"],
                indicators=formset.specs(),
                expected_updated_at=form.cleaned_data["updated_at"],
            ),
        )
        if saved is not None:
            messages.success(request, _("The scheme was saved."))
            return _see_other(reverse("assessment:scheme-detail", kwargs={"pk": scheme.pk}))
    if form.has_error("updated_at"):
        current = _scheme(pk)
        if current.frozen:
            return _editor(
                request,
                scheme=current,
                mode="frozen",
                form=None,
                formset=None,
                status=409,
                conflict=form.errors["updated_at"][0],
            )
        fresh_form, fresh_formset = _edit_forms(current)
        return _editor(
            request,
            scheme=current,
            mode="edit",
            form=fresh_form,
            formset=fresh_formset,
            status=409,
            conflict=form.errors["updated_at"][0],
        )
    return _editor(request, scheme=scheme, mode="edit", form=form, formset=formset)


@login_required
@require_http_methods(["GET", "POST"])
def scheme_activate(request, pk: int):
    """Put a draft version in force from a month (activate_scheme), behind this confirmation page.
    The page posts the `updated_at` it showed: a version changed since (or a post without the
    token) answers 409 with the version as it is now and the message, nothing put in force."""
    require_permission(request.user, "assessment.manage_schemes")
    scheme = _scheme(pk)
    initial = {"effective_from": scheme.effective_from, "updated_at": updated_at_token(scheme)}
    form = ActivateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.activate_scheme(
                actor=request.user,
                scheme=scheme,
                effective_from=form.cleaned_data["effective_from"],
                expected_updated_at=form.cleaned_data["updated_at"],
            )
        except SchemeEditConflict as exc:
            form.add_error("updated_at", exc.message)
        except DomainError as exc:
            form.add_error(
                "effective_from" if exc.field in ("effective_from", "scheme") else None, exc.message
            )
        else:
            messages.success(request, _("The version is in force."))
            return _see_other(reverse("assessment:scheme-detail", kwargs={"pk": scheme.pk}))
    if request.method == "POST" and form.has_error("updated_at"):
        current = _scheme(pk)
        fresh = ActivateForm(
            initial={"effective_from": current.effective_from, "updated_at": updated_at_token(current)}
        )
        context = {"scheme": current, "form": fresh, "conflict": form.errors["updated_at"][0]}
        return render(request, "assessment/scheme_activate.html", context, status=409)
    return render(request, "assessment/scheme_activate.html", {"scheme": scheme, "form": form})
