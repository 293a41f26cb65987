"""The checklist pages: versions per name, one version, and — for the market department
(`mystery.manage_templates`) — a new checklist (a new name, empty or copied from any version), a
new draft copied from a version, the draft's editor (a formset) and putting a version in force
behind a confirmation page. The rules live in checklist_services: a version in force or used by
any visit is read-only here and there.

Checklists belong to no hall, so the permission is checked first (a 403 before any 404)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assessment.mystery_shop import checklist_services as services
from assessment.mystery_shop import selectors
from assessment.mystery_shop.checklist_forms import ActivateForm, ChecklistEditor, NewChecklistForm
from assessment.mystery_shop.exceptions import TemplateFrozen, VersionConflict
from assessment.mystery_shop.models import ChecklistTemplate
from halls.exceptions import DomainError
from halls.models import AuditEvent
from halls.permissions import has_permission, require_permission

MANAGE = "mystery.manage_templates"


def _see_other(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def _url(name: str, template) -> str:
    return reverse(f"assessment:mystery:{name}", kwargs={"pk": template.pk})


@login_required
@require_GET
def template_list(request):
    """Every checklist name with its versions, newest first: which is in force and — for the market
    department — which are drafts and how many visits each was used by. Anyone else sees only the
    versions in force and those of visits they can see (selectors.template_versions)."""
    require_permission(request.user, "mystery.view")
    can_manage = has_permission(request.user, MANAGE)
    context = {
        "groups": selectors.template_versions(user=request.user, with_usage=can_manage),
        "can_manage": can_manage,
        "can_report": has_permission(request.user, "mystery.report"),
    }
    return render(request, "assessment/mystery_shop/template_list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def template_create(request):
    """Start a new checklist under a new name (create_checklist): empty, or copied from any
    version. Then the draft's editor opens. A missing name or one another checklist has answers
    400 with the error beside the name."""
    require_permission(request.user, MANAGE)
    posted = request.method == "POST"
    form = NewChecklistForm(
        request.POST if posted else None,
        groups=selectors.template_versions(user=request.user, with_usage=False),
    )
    if posted and form.is_valid():
        created = form.save(actor=request.user)
        if created is not None:
            messages.success(
                request,
                _(
                    "Checklist “%(name)s” was created as a draft: add its categories and items, then put it in force."
                )
                % {"name": created.name},
            )
            return _see_other(_url("template-edit", created))
    return render(
        request, "assessment/mystery_shop/template_create.html", {"form": form}, status=400 if posted else 200
    )


@login_required
@require_GET
def template_detail(request, pk: int):
    """One version's categories and items; for the market department also its state, what can be
    done to it and its audit trail. A version someone else may not read (a draft, a retired
    version no visit of theirs used) is the 404 of a missing one."""
    require_permission(request.user, "mystery.view")
    can_manage = has_permission(request.user, MANAGE)
    template = selectors.template_detail(pk, user=request.user, with_usage=can_manage)
    context = {"template": template, "can_manage": can_manage}
    if can_manage:
        context.update(
            refusal=services.edit_refusal(template, used=template.visit_count > 0),
            problems=services.activation_problems(template, services.checklist_specs(template)),
            audit_events=AuditEvent.objects.for_object(template).select_related("actor")[:50],
        )
    return render(request, "assessment/mystery_shop/template_detail.html", context)


@login_required
@require_POST
def template_new_version(request, pk: int):
    """Copy this version into a new draft and open the draft's editor."""
    require_permission(request.user, MANAGE)
    template = get_object_or_404(ChecklistTemplate, pk=pk)
    created = services.create_template_version(actor=request.user, template=template)
    messages.success(
        request,
        _("Version %(version)s was created as a draft: edit it, then put it in force.")
        % {"version": created.version},
    )
    return _see_other(_url("template-edit", created))


def _render_editor(request, template, *, editor=None, refusal=None, refused=None, status=200):
    context = {"template": template, "editor": editor, "refusal": refusal, "refused": refused}
    return render(request, "assessment/mystery_shop/template_edit.html", context, status=status)


def _current(request, pk: int):
    """The version as it is now, with the editor for it or why it cannot be edited."""
    template = selectors.template_detail(pk, user=request.user, with_usage=True)
    refusal = services.edit_refusal(template, used=template.visit_count > 0)
    return template, refusal


@login_required
@require_http_methods(["GET", "POST"])
def template_edit(request, pk: int):
    """Edit a draft's categories and items (update_template). A version in force or used by a
    visit is shown read-only with the reason, and a POST to it is refused (409); a stale revision
    answers 409 with the version as it is now; invalid rows answer 400 with errors beside them."""
    require_permission(request.user, MANAGE)
    template, refusal = _current(request, pk)
    if refusal:
        if request.method == "POST":
            return _render_editor(request, template, refusal=refusal, refused=refusal, status=409)
        return _render_editor(request, template, refusal=refusal)
    if request.method == "GET":
        return _render_editor(request, template, editor=ChecklistEditor(template=template))
    editor = ChecklistEditor(request.POST, template=template)
    if not editor.is_valid():
        return _render_editor(request, template, editor=editor, status=400)
    try:
        services.update_template(
            actor=request.user, template=template, revision=editor.revision, categories=editor.specs()
        )
    except (VersionConflict, TemplateFrozen) as exc:
        template, refusal = _current(request, pk)
        fresh = None if refusal else ChecklistEditor(template=template)
        if fresh is not None:
            fresh.conflict = exc.message
        return _render_editor(
            request,
            template,
            editor=fresh,
            refusal=refusal,
            refused=exc.message if refusal else None,
            status=409,
        )
    except DomainError as exc:
        editor.add_error(exc.message)
        return _render_editor(request, template, editor=editor, status=400)
    messages.success(request, _("The draft was saved."))
    return _see_other(_url("template-detail", template))


@login_required
@require_http_methods(["GET", "POST"])
def template_activate(request, pk: int):
    """Put a version in force (activate_template) behind this confirmation page, which shows what
    changes and anything that stops it. A stale revision answers 409 with the page as it is now."""
    require_permission(request.user, MANAGE)
    template = selectors.template_detail(pk, user=request.user, with_usage=True)
    form = ActivateForm(request.POST or None, initial={"revision": template.revision})
    status, conflict = 200, None
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.activate_template(
                    actor=request.user, template=template, revision=form.cleaned_data["revision"]
                )
            except VersionConflict as exc:
                status, conflict = 409, exc.message
                template = selectors.template_detail(pk, user=request.user, with_usage=True)
                form = ActivateForm(initial={"revision": template.revision})
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    _("Version %(version)s is in force: new inspections use it.")
                    % {"version": template.version},
                )
                return _see_other(_url("template-detail", template))
    context = {
        "template": template,
        "form": form,
        "conflict": conflict,
        "current": ChecklistTemplate.objects.filter(name=template.name, is_active=True)
        .exclude(pk=template.pk)
        .first(),
        "problems": services.activation_problems(template, services.checklist_specs(template)),
    }
    return render(request, "assessment/mystery_shop/template_activate.html", context, status=status)
