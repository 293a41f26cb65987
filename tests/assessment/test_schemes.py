import datetime
from decimal import Decimal

import pytest

from assessment.exceptions import SchemeEditConflict, SchemeFrozen, SchemeInvalid
from assessment.models import AssessmentScheme, Indicator
from assessment.services import (
    IndicatorSpec,
    activate_scheme,
    compute_month_results,
    create_scheme_version,
    publish_results,
    update_scheme,
    validate_indicators,
)
from staffing.models import Staff
from tests.assessment.factories import OCTOBER

pytestmark = pytest.mark.django_db
NOVEMBER = datetime.date(2026, 11, 1)
DECEMBER = datetime.date(2026, 12, 1)
JANUARY = datetime.date(2027, 1, 1)


def spec(code="sales", weight=100, **kw):
    base = {
        "code": code,
        "name": code,
        "source": "kpi",
        "measure": "sales",
        "aggregate": "sum",
        "weight": Decimal(weight),
        "max_points": Decimal(100),
        "rule": "ratio_to_target",
        "target": Decimal(1000),
    }
    return IndicatorSpec(**{**base, **kw})


def test_every_post_has_a_seeded_scheme_whose_weights_sum_to_100(db):
    schemes = AssessmentScheme.objects.effective_on(OCTOBER)
    assert sorted(s.post for s in schemes) == sorted(Staff.Post.values)
    for scheme in schemes:
        assert sum(i.weight for i in scheme.indicators.all()) == Decimal(100)


@pytest.mark.parametrize(
    ("indicators", "message"),
    [
        ([spec(weight=60)], "add up to 60"),
        ([spec(weight=50), spec(weight=50)], "unique"),
        ([spec(measure="evaluation_score")], "does not belong"),
        ([spec(rule="linear_band", band_low=Decimal(5), band_high=Decimal(5))], "band"),
        ([spec(rule="deduction", deduction_per_unit=Decimal(1), floor=Decimal(200))], "deduction"),
        ([], "at least one"),
    ],
)
def test_invalid_schemes_are_refused(branch_manager, indicators, message):
    with pytest.raises(SchemeInvalid, match=message):
        create_scheme_version(
            actor=branch_manager, post="clerk", name="x", effective_from=NOVEMBER, indicators=indicators
        )


def test_a_new_version_supersedes_the_one_in_force(branch_manager):
    scheme = create_scheme_version(
        actor=branch_manager, post="guide", name="Guides 3", effective_from=JANUARY, indicators=[spec()]
    )
    assert (scheme.version, scheme.status) == (3, "draft")
    activate_scheme(actor=branch_manager, scheme=scheme)
    old = AssessmentScheme.objects.get(post="guide", version=2)
    assert old.effective_to == datetime.date(2026, 12, 31)
    assert AssessmentScheme.objects.effective_on(DECEMBER).get(post="guide") == old
    assert AssessmentScheme.objects.effective_on(JANUARY).get(post="guide") == scheme


def test_a_version_cannot_start_before_the_seeded_december_version(branch_manager):
    scheme = create_scheme_version(
        actor=branch_manager, post="guide", name="Guides 3", effective_from=NOVEMBER, indicators=[spec()]
    )
    with pytest.raises(SchemeInvalid, match="already starts"):
        activate_scheme(actor=branch_manager, scheme=scheme)


@pytest.mark.parametrize("post", Staff.Post.values)
def test_from_december_2026_every_post_counts_complaints_and_training(db, post):
    first = AssessmentScheme.objects.get(post=post, version=1)
    second = AssessmentScheme.objects.effective_on(DECEMBER).get(post=post)
    assert (second.version, second.effective_from, second.effective_to) == (2, DECEMBER, None)
    assert first.effective_to == datetime.date(2026, 11, 30)
    assert AssessmentScheme.objects.effective_on(NOVEMBER).get(post=post) == first
    lines = {i.code: i for i in second.indicators.all()}
    assert sum(i.weight for i in lines.values()) == Decimal(100)
    # The earlier indicators keep their rules, only their weights make room.
    assert set(lines) == {i.code for i in first.indicators.all()} | {
        "complaints",
        "training_absences",
        "training_exam",
    }
    for old in first.indicators.all():
        assert (lines[old.code].measure, lines[old.code].rule, lines[old.code].max_points) == (
            old.measure,
            old.rule,
            old.max_points,
        )
    complaints, absences, exam = lines["complaints"], lines["training_absences"], lines["training_exam"]
    assert (complaints.measure, complaints.aggregate, complaints.rule) == (
        "complaint_accountability",
        "sum",
        "deduction",
    )
    assert (complaints.weight, complaints.max_points, complaints.deduction_per_unit, complaints.floor) == (
        10,
        10,
        1,
        0,
    )
    assert (absences.measure, absences.aggregate, absences.rule) == ("training_absences", "sum", "deduction")
    assert (absences.weight, absences.max_points, absences.deduction_per_unit, absences.floor) == (5, 5, 1, 0)
    assert (exam.measure, exam.aggregate, exam.rule, exam.when_missing) == (
        "exam_score",
        "avg",
        "direct_points",
        "full",
    )
    assert (exam.weight, exam.max_points) == (5, 100)
    validate_indicators(
        [
            IndicatorSpec(**{f: getattr(i, f) for f in IndicatorSpec.__dataclass_fields__})
            for i in lines.values()
        ]
    )


def without_december_version(post):
    """The seeded default as it was before the December 2026 version (that version unused)."""
    Indicator.objects.filter(scheme__post=post, scheme__version=2).delete()
    AssessmentScheme.objects.filter(post=post, version=2).delete()
    AssessmentScheme.objects.filter(post=post, version=1).update(effective_to=None)


def test_a_scheme_used_by_a_published_month_cannot_be_edited_only_superseded(
    branch, clerk_staff, branch_manager
):
    without_december_version("clerk")
    publish_results(run=compute_month_results(branch=branch, month=OCTOBER), actor=branch_manager)
    clerk_scheme = AssessmentScheme.objects.get(post="clerk", version=1)
    with pytest.raises(SchemeFrozen):
        update_scheme(actor=branch_manager, scheme=clerk_scheme, indicators=[spec()])
    draft = create_scheme_version(
        actor=branch_manager, post="clerk", name="c2", effective_from=OCTOBER, indicators=[spec()]
    )
    with pytest.raises(SchemeFrozen, match="already published"):
        activate_scheme(actor=branch_manager, scheme=draft)  # from October, which is published
    with pytest.raises(SchemeInvalid, match="already starts"):
        activate_scheme(actor=branch_manager, scheme=draft, effective_from=datetime.date(2019, 1, 1))
    activate_scheme(actor=branch_manager, scheme=draft, effective_from=NOVEMBER)
    assert Indicator.objects.filter(scheme=clerk_scheme).count() == 7


def test_a_draft_scheme_is_edited_in_place(branch_manager):
    scheme = create_scheme_version(
        actor=branch_manager, post="clerk", name="c2", effective_from=NOVEMBER, indicators=[spec()]
    )
    update_scheme(
        actor=branch_manager,
        scheme=scheme,
        indicators=[spec(weight=40), spec(code="tx", measure="transactions", weight=60)],
    )
    assert sorted(scheme.indicators.values_list("code", "weight")) == [
        ("sales", Decimal("40.00")),
        ("tx", Decimal("60.00")),
    ]


def test_an_edit_from_a_stale_read_of_the_version_is_refused_and_saves_nothing(branch_manager):
    from halls.models import AuditEvent

    scheme = create_scheme_version(
        actor=branch_manager, post="clerk", name="c2", effective_from=NOVEMBER, indicators=[spec()]
    )
    read = AssessmentScheme.objects.get(pk=scheme.pk).updated_at  # what both managers' pages showed
    update_scheme(
        actor=branch_manager, scheme=scheme, name="first", indicators=[spec()], expected_updated_at=read
    )
    with pytest.raises(SchemeEditConflict, match="Someone else changed this scheme version"):
        update_scheme(
            actor=branch_manager,
            scheme=scheme,
            name="second",
            indicators=[spec(weight=40), spec(code="tx", measure="transactions", weight=60)],
            expected_updated_at=read,
        )
    with pytest.raises(SchemeEditConflict):
        activate_scheme(actor=branch_manager, scheme=scheme, expected_updated_at=read)
    stored = AssessmentScheme.objects.get(pk=scheme.pk)
    assert (stored.name, stored.status) == ("first", "draft")
    assert list(stored.indicators.values_list("code", flat=True)) == ["sales"]
    assert (
        AuditEvent.objects.filter(action="assessment.scheme.updated", subject_id=str(scheme.pk)).count() == 1
    )
    # The current token goes through.
    update_scheme(
        actor=branch_manager,
        scheme=scheme,
        name="second",
        indicators=[spec()],
        expected_updated_at=stored.updated_at,
    )
    assert AssessmentScheme.objects.get(pk=scheme.pk).name == "second"


def test_clerks_cannot_manage_schemes(clerk):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        create_scheme_version(
            actor=clerk, post="clerk", name="x", effective_from=NOVEMBER, indicators=[spec()]
        )


def test_messages_are_translated_to_chinese(branch_manager):
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(SchemeInvalid) as caught:
        create_scheme_version(
            actor=branch_manager,
            post="clerk",
            name="x",
            effective_from=NOVEMBER,
            indicators=[spec(weight=60)],
        )
    assert caught.value.message == "权重合计为 60，必须等于 100。"


def test_the_assessment_admin_lists_every_model_read_only(client, admin_user):
    from django.apps import apps
    from django.contrib import admin
    from django.urls import reverse

    client.force_login(admin_user)
    for model in apps.get_app_config("assessment").get_models():
        if model._meta.is_composite_pk:
            # Django's admin cannot show a composite primary key (indicator scores): the score card does.
            assert model not in admin.site._registry, model
            continue
        assert model in admin.site._registry, model
        opts = model._meta
        assert client.get(reverse(f"admin:assessment_{opts.model_name}_changelist")).status_code == 200
        assert client.get(reverse(f"admin:assessment_{opts.model_name}_add")).status_code == 403


def _december_migration():
    import importlib

    return importlib.import_module("assessment.migrations.0006_default_schemes_with_complaints_and_training")


def test_the_december_migration_runs_once_and_leaves_edited_schemes_alone(branch_manager):
    from django.apps import apps

    migration = _december_migration()
    migration.add_versions(apps, None)  # a second run: every post already has its December version
    assert AssessmentScheme.objects.filter(effective_from=DECEMBER).count() == len(Staff.Post.values)
    # A post whose rules were edited since the seed gets no version from the migration.
    without_december_version("guide")
    edited = create_scheme_version(
        actor=branch_manager, post="guide", name="Guides 2", effective_from=NOVEMBER, indicators=[spec()]
    )
    activate_scheme(actor=branch_manager, scheme=edited)
    migration.add_versions(apps, None)
    assert AssessmentScheme.objects.effective_on(DECEMBER).get(post="guide") == edited
    # Undone, the seeded version is in force again with no end.
    migration.remove_versions(apps, None)
    assert AssessmentScheme.objects.filter(effective_from=DECEMBER).count() == 0
    clerk = AssessmentScheme.objects.effective_on(DECEMBER).get(post="clerk")
    assert (clerk.version, clerk.effective_to) == (1, None)
