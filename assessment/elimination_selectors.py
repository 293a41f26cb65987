"""Reads of the bottom-elimination list for the pages and the API: visibility applied, joins
prefetched, a fixed number of queries whatever the number of lists, entries or appeals."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Case, Count, IntegerField, OuterRef, Prefetch, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from assessment.models import Appeal, EliminationEntry, EliminationList
from halls.models import AuditEvent
from halls.scoping import scope_for


def elimination_entries(*, user):
    """Entries the user sees (HR: of confirmed lists; hall managers: their halls'; clerks: their own),
    with the person, hall, result, list and appeals loaded: a fixed number of queries per page."""
    return (
        EliminationEntry.objects.visible_to(user)
        .select_related("staff", "hall", "result", "elimination_list__run__branch")
        .prefetch_related(Prefetch("appeals", queryset=Appeal.objects.order_by("created_at")))
    )


def elimination_lists(*, user):
    """Lists the user sees (see EliminationList.objects.visible_to) with the entries the user sees."""
    entries = (
        EliminationEntry.objects.visible_to(user)
        .select_related("staff", "hall", "result")
        .prefetch_related(Prefetch("appeals", queryset=Appeal.objects.order_by("created_at")))
        .order_by("staff__employee_no")
    )
    return (
        EliminationList.objects.visible_to(user)
        .select_related("run__branch")
        .prefetch_related(Prefetch("entries", queryset=entries))
    )


def appeals(*, user):
    """Appeals against the entries the user sees."""
    return Appeal.objects.visible_to(user).select_related(
        "entry__hall__region", "entry__elimination_list__run__branch"
    )


def _count_of(entries, **filters):
    """A correlated subquery counting `entries` of the outer list (0 when none)."""
    counted = (
        entries.filter(elimination_list=OuterRef("pk"), **filters)
        .order_by()
        .values("elimination_list")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def page_lists(*, user):
    """The lists the user sees, newest month first, each with the number of entries the user sees,
    how many are still listed, and pending appeals among them (one query)."""
    entries = EliminationEntry.objects.visible_to(user)
    pending = (
        Appeal.objects.filter(entry__in=entries, entry__elimination_list=OuterRef("pk"), status="pending")
        .order_by()
        .values("entry__elimination_list")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        EliminationList.objects.visible_to(user)
        .select_related("run__branch")
        .annotate(
            entry_count=_count_of(entries),
            listed_count=_count_of(entries, status=EliminationEntry.Status.LISTED),
            pending_appeals=Coalesce(Subquery(pending, output_field=IntegerField()), Value(0)),
        )
        .order_by("-month", "run__branch__code")
    )


def list_entries(*, user, elimination_list: EliminationList):
    """The entries of one list the user sees, bottom first (total ascending), with the person,
    hall, result and appeals (with who filed and decided them) loaded: three queries."""
    return (
        EliminationEntry.objects.visible_to(user)
        .filter(elimination_list=elimination_list)
        .select_related("staff", "hall", "result", "outcome_recorded_by")
        .prefetch_related(
            Prefetch(
                "appeals",
                queryset=Appeal.objects.select_related("filed_by", "decided_by").order_by("created_at"),
            )
        )
        .order_by("result__total", "staff__employee_no")
    )


def visible_entry(*, user, pk: int) -> EliminationEntry:
    """One entry the user sees, with its list, person, hall and result (EliminationEntry.DoesNotExist
    otherwise)."""
    return (
        EliminationEntry.objects.visible_to(user)
        .select_related("elimination_list__run__branch", "staff", "hall__region", "result")
        .prefetch_related(
            Prefetch("appeals", queryset=Appeal.objects.select_related("filed_by").order_by("created_at"))
        )
        .get(pk=pk)
    )


def appeal_queue(*, user):
    """Appeals the user sees, pending first, then newest first, with the entry, person, hall, list
    and who filed and decided them (one query)."""
    return (
        appeals(user=user)
        .select_related("entry__staff", "entry__result", "filed_by", "decided_by")
        .annotate(pending_first=Case(When(status=Appeal.Status.PENDING, then=Value(0)), default=Value(1)))
        .order_by("pending_first", "-created_at", "-id")
    )


def list_audit_trail(*, user, elimination_list: EliminationList, entries, limit: int = 100):
    """Audit rows of the list itself (for those who see every entry: branch management), of the
    given entries and of their appeals, newest first (one query; `entries` already loaded with
    their appeals)."""
    types = ContentType.objects.get_for_models(EliminationList, EliminationEntry, Appeal)
    q = Q(subject_type=types[EliminationEntry], subject_id__in=[str(e.pk) for e in entries]) | Q(
        subject_type=types[Appeal],
        subject_id__in=[str(a.pk) for e in entries for a in e.appeals.all()],
    )
    if sees_whole_list(user, elimination_list):
        q |= Q(subject_type=types[EliminationList], subject_id=str(elimination_list.pk))
    return list(AuditEvent.objects.filter(q).select_related("actor").order_by("-created_at", "-id")[:limit])


def sees_whole_list(user, elimination_list) -> bool:
    """Does the user hold a region role over the list's branch (and so see every entry)?"""
    scope = scope_for(user)
    return scope.sees_everything or any(
        elimination_list.run.branch.path.startswith(path) for path in scope.region_paths
    )


def describe_reason(reason: dict) -> str:
    """A sentence naming one rule that put the person on the list, with its figures."""
    rule = reason.get("rule")
    if rule == "bottom_percent":
        if reason.get("rank") is None:  # a list generated before ranks were stored the same way
            return _("Bottom %(percent)s%% of the branch: rank %(rank)s from the bottom of %(ranked)s") % {
                "percent": reason.get("percent"),
                "rank": reason.get("rank_from_bottom"),
                "ranked": reason.get("ranked"),
            }
        args = {
            "percent": reason["percent"],
            "rank": reason["rank"],
            "ranked": reason["ranked"],
            "tied": reason["tied"],
            "places": reason["places"],
        }
        if reason["tied"] > 1:
            return (
                ngettext(
                    "Bottom %(percent)s%% of the branch: rank %(rank)s of %(ranked)s eligible people, "
                    "shared by %(tied)s people with the same total; the last place is listed, with "
                    "everyone tied into it",
                    "Bottom %(percent)s%% of the branch: rank %(rank)s of %(ranked)s eligible people, "
                    "shared by %(tied)s people with the same total; the last %(places)s places are "
                    "listed, with everyone tied into them",
                    args["places"],
                )
                % args
            )
        return (
            ngettext(
                "Bottom %(percent)s%% of the branch: rank %(rank)s of %(ranked)s eligible people; "
                "the last place is listed",
                "Bottom %(percent)s%% of the branch: rank %(rank)s of %(ranked)s eligible people; "
                "the last %(places)s places are listed",
                args["places"],
            )
            % args
        )
    if rule == "bottom_per_hall":
        if reason.get("rank") is None:
            return _("Bottom %(count)s of the hall: rank %(rank)s from the bottom") % {
                "count": reason.get("per_hall"),
                "rank": reason.get("rank_from_bottom"),
            }
        args = {
            "count": reason["per_hall"],
            "rank": reason["rank"],
            "ranked": reason["ranked"],
            "tied": reason["tied"],
        }
        if reason["tied"] > 1:
            return (
                ngettext(
                    "Bottom %(count)s of the hall: rank %(rank)s of %(ranked)s eligible people in the "
                    "hall, shared by %(tied)s people with the same total; the last place is listed, "
                    "with everyone tied into it",
                    "Bottom %(count)s of the hall: rank %(rank)s of %(ranked)s eligible people in the "
                    "hall, shared by %(tied)s people with the same total; the last %(count)s places are "
                    "listed, with everyone tied into them",
                    args["count"],
                )
                % args
            )
        return (
            ngettext(
                "Bottom %(count)s of the hall: rank %(rank)s of %(ranked)s eligible people in the hall; "
                "the last place is listed",
                "Bottom %(count)s of the hall: rank %(rank)s of %(ranked)s eligible people in the hall; "
                "the last %(count)s places are listed",
                args["count"],
            )
            % args
        )
    if rule == "total_below":
        return _("Total %(total)s below the threshold %(threshold)s") % {
            "total": reason.get("total"),
            "threshold": reason.get("threshold"),
        }
    if rule == "consecutive_months":
        return _("In the bottom group %(months)s months in a row") % {"months": reason.get("months")}
    return str(rule)


def describe_rule(snapshot: dict) -> list[str]:
    """Sentences stating a rule (EliminationList.rule_snapshot or the rule's fields)."""
    lines = []
    if snapshot.get("bottom_percent") is not None:
        lines.append(
            _("Bottom %(percent)s%% of each post in the branch") % {"percent": snapshot["bottom_percent"]}
        )
    if snapshot.get("bottom_per_hall") is not None:
        lines.append(_("Bottom %(count)s of each post in each hall") % {"count": snapshot["bottom_per_hall"]})
    if snapshot.get("total_below") is not None:
        lines.append(_("Total below %(threshold)s") % {"threshold": snapshot["total_below"]})
    if snapshot.get("consecutive_months") is not None:
        lines.append(
            _("Only after %(months)s months in a row in the bottom group")
            % {"months": snapshot["consecutive_months"]}
        )
    exclusions = []
    if snapshot.get("exclude_probation"):
        exclusions.append(_("probation"))
    if snapshot.get("min_service_months"):
        exclusions.append(
            _("under %(months)s months of service") % {"months": snapshot["min_service_months"]}
        )
    if snapshot.get("max_leave_days"):
        exclusions.append(_("%(days)s or more days of approved leave") % {"days": snapshot["max_leave_days"]})
    if exclusions:
        lines.append(_("Left out: %(list)s") % {"list": ", ".join(str(e) for e in exclusions)})
    return lines
