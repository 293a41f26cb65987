"""Staff pages. Views resolve staff through the scoped selector (another hall's person is a 404),
check the action permission (a 403) and hand the form to one staffing service."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from halls.pages import paginate, render_list
from halls.permissions import has_permission, require_permission
from halls.selectors import labelled_field_history
from staffing import selectors
from staffing.forms import StaffCreateForm, StaffEditForm, StaffFilterForm, StaffTransferForm


@login_required
def staff_list(request):
    require_permission(request.user, "staff.view")
    form = StaffFilterForm(request.GET or None, user=request.user)
    staff = selectors.staff_list(user=request.user)
    if form.is_valid():
        staff = selectors.filter_staff(staff, **form.filters())
    context = {
        "form": form,
        "page_obj": paginate(request, staff),
        "can_create": has_permission(request.user, "staff.create"),
    }
    return render_list(
        request,
        page_template="staffing/staff_list.html",
        results_template="staffing/_staff_results.html",
        context=context,
    )


@login_required
def staff_detail(request, pk: int):
    staff = get_object_or_404(selectors.staff_list(user=request.user), pk=pk)
    require_permission(request.user, "staff.view", hall=staff.hall)
    context = {
        "staff": staff,
        "postings": selectors.staff_postings(staff=staff),
        "can_edit": has_permission(request.user, "staff.change", hall=staff.hall),
        "can_transfer": has_permission(request.user, "staff.transfer", hall=staff.hall),
        "can_view_audit": has_permission(request.user, "audit.view", hall=staff.hall),
    }
    if context["can_view_audit"]:
        context["history"] = labelled_field_history(staff)
        context["audit_events"] = selectors.staff_audit_trail(user=request.user, staff=staff)
    return render(request, "staffing/staff_detail.html", context)


@login_required
def staff_create(request):
    require_permission(request.user, "staff.create")
    form = StaffCreateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        staff = form.save(actor=request.user)
        if staff is not None:
            messages.success(request, _("%(name)s was added.") % {"name": staff.name})
            return redirect("staff_detail", pk=staff.pk)
    return render(request, "staffing/staff_form.html", {"form": form})


@login_required
def staff_edit(request, pk: int):
    staff = get_object_or_404(selectors.staff_list(user=request.user), pk=pk)
    require_permission(request.user, "staff.change", hall=staff.hall)
    form = StaffEditForm(request.POST or None, staff=staff)
    if request.method == "POST" and form.is_valid() and form.save(actor=request.user):
        messages.success(request, _("Changes to %(name)s saved.") % {"name": staff.name})
        return redirect("staff_detail", pk=staff.pk)
    return render(request, "staffing/staff_form.html", {"form": form, "staff": staff})


@login_required
def staff_transfer(request, pk: int):
    staff = get_object_or_404(selectors.staff_list(user=request.user), pk=pk)
    require_permission(request.user, "staff.transfer", hall=staff.hall)
    form = StaffTransferForm(request.POST or None, staff=staff, user=request.user)
    if request.method == "POST" and form.is_valid() and form.save(actor=request.user):
        messages.success(
            request,
            _("%(name)s moves to %(hall)s from %(on)s.")
            % {
                "name": staff.name,
                "hall": form.cleaned_data["to_hall"].name,
                "on": date_format(form.cleaned_data["on"]),
            },
        )
        return redirect("staff_detail", pk=staff.pk)
    return render(request, "staffing/staff_transfer.html", {"form": form, "staff": staff})
