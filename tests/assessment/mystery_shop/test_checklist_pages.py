"""The checklist editor pages: versions per name, a new draft from a version, the draft's formset
(errors beside the fields, 409 when stale or frozen), putting a version in force behind a
confirmation page; who may do what; pinned query counts (and those of the rectification list page
and API)."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from assessment.mystery_shop import checklist_services as checklists
from assessment.mystery_shop import services
from assessment.mystery_shop.checklist_services import CategorySpec, ItemSpec
from assessment.mystery_shop.models import ChecklistTemplate, Rectification
from halls.models import AuditEvent
from tests.assessment.mystery_shop.factories import default_template, published_visit, start
from tests.pages import error_is_beside_field

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client):
    """Pages in English here (one test reads them in Chinese)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def url(name, template=None):
    kwargs = {"pk": template.pk} if template is not None else None
    return reverse(f"assessment:mystery:{name}", kwargs=kwargs)


def draft(inspector) -> ChecklistTemplate:
    return checklists.create_template_version(actor=inspector, template=default_template())


ITEM_FIELDS = ("code", "text", "guidance", "deduction", "scope", "photo_required", "is_veto")


def editor_post(template, *, categories=None, items=None, revision=None) -> dict:
    """The editor's POST: the version's categories and items as the page shows them (category rows
    0…n-1, items naming their category by row number), then `categories` / `items` changes:
    {row: {field: value}} for existing rows; rows past the end are new rows."""
    template = ChecklistTemplate.objects.get(pk=template.pk)
    cats = list(template.categories.order_by("position"))
    category_rows = [{"name": c.name, "ORDER": n + 1} for n, c in enumerate(cats)]
    place = {c.pk: n for n, c in enumerate(cats)}
    item_rows = [
        {name: getattr(item, name) for name in ITEM_FIELDS}
        | {"category": place[item.category_id], "ORDER": n + 1}
        for n, item in enumerate(template.items.order_by("position"))
    ]
    initial = (len(category_rows), len(item_rows))
    for rows, changes in ((category_rows, categories or {}), (item_rows, items or {})):
        for row, fields in sorted(changes.items()):
            while len(rows) <= row:
                rows.append({})
            rows[row].update(fields)
    data = {
        "checklist-revision": template.revision if revision is None else revision,
        "categories-TOTAL_FORMS": len(category_rows),
        "categories-INITIAL_FORMS": initial[0],
        "items-TOTAL_FORMS": len(item_rows),
        "items-INITIAL_FORMS": initial[1],
    }
    for prefix, rows in (("categories", category_rows), ("items", item_rows)):
        for n, row in enumerate(rows):
            for field, value in row.items():
                if value is False or value is None:
                    continue  # an unticked box posts nothing
                data[f"{prefix}-{n}-{field}"] = "on" if value is True else str(value)
    return data


def codes(template) -> list[str]:
    return list(template.items.order_by("position").values_list("code", flat=True))


def test_the_list_groups_versions_by_name_with_state_and_use_for_the_market_department(
    client, inspector, hall, clerk_staff
):
    published_visit(inspector, hall, clerk_staff)
    second = draft(inspector)
    client.force_login(inspector)
    response = client.get(url("template-list"))
    assert response.status_code == 200
    [(name, versions)] = response.context["groups"]
    assert (name, [t.version for t in versions]) == (second.name, [2, 1])
    assert [(t.visit_count, t.item_count, t.category_count) for t in versions] == [(0, 15, 4), (1, 15, 4)]
    body = response.content.decode()
    assert "used by 1 inspection" in body and "draft" in body and "frozen" in body
    assert f'href="{url("template-list")}">Checklists' in body  # the section's tab


def test_the_hall_sees_the_checklists_but_not_how_many_visits_used_them(
    client, inspector, hall, hall_manager
):
    start(inspector, hall)  # a covert draft: it must not show up as a count anywhere
    client.force_login(hall_manager)
    listing = client.get(url("template-list"))
    detail = client.get(url("template-detail", default_template()))
    for response in (listing, detail):
        assert response.status_code == 200
        body = response.content.decode()
        assert "data-visit-count" not in body and "frozen" not in body
        assert url("template-edit", default_template()) not in body
    assert "使用迎宾语" in detail.content.decode()


def test_a_new_version_is_copied_and_opens_its_editor(client, inspector):
    current = default_template()
    client.force_login(inspector)
    response = client.post(url("template-new-version", current))
    new = ChecklistTemplate.objects.get(name=current.name, version=2)
    assert response.status_code == 303
    assert response["Location"] == url("template-edit", new)
    page = client.get(response["Location"])
    editor = page.context["editor"]
    assert len(editor.categories.forms) == 4 + 1 and len(editor.items.forms) == 15 + 2
    assert editor.items.forms[0]["category"].value() == "0"
    assert 'name="checklist-revision" value="1"' in page.content.decode()


def test_a_draft_is_edited_categories_and_items_added_removed_and_reordered(client, inspector):
    new = draft(inspector)
    client.force_login(inspector)
    data = editor_post(
        new,
        categories={
            0: {"ORDER": 2},  # 服务礼仪 after 业务办理
            1: {"ORDER": 1, "name": "业务办理（柜台）"},
            3: {"DELETE": True},  # 环境与安全, with its items moved or removed below
            4: {"name": "自助设备", "ORDER": 5},  # a new category, used by a new item in the same save
        },
        items={
            0: {"deduction": "2.5", "ORDER": 5},  # A01 moves after A04 within its category
            11: {"category": 2},  # D01 → 厅堂秩序
            12: {"DELETE": True},
            13: {"DELETE": True},
            14: {"DELETE": True},
            15: {"code": "E01", "text": "自助终端可用", "category": 4, "deduction": "3", "scope": "hall"},
        },
    )
    response = client.post(url("template-edit", new), data)
    assert response.status_code == 303, response.context["editor"].error_summary()
    assert response["Location"] == url("template-detail", new)
    names = list(new.categories.order_by("position").values_list("name", flat=True))
    assert names == ["业务办理（柜台）", "服务礼仪", "厅堂秩序", "自助设备"]
    assert codes(new) == [
        "B01",
        "B02",
        "B03",
        "B04",
        "A02",
        "A03",
        "A04",
        "A01",
        "C01",
        "C02",
        "C03",
        "D01",
        "E01",
    ]
    assert new.items.get(code="A01").deduction == Decimal("2.5")
    assert new.items.get(code="D01").category.name == "厅堂秩序"
    new.refresh_from_db()
    assert new.revision == 2
    assert AuditEvent.objects.filter(action="mystery.template.edited", subject_id=str(new.pk)).count() == 1


def test_invalid_rows_answer_400_with_each_error_beside_its_field_and_save_nothing(client, inspector):
    new = draft(inspector)
    before = codes(new)
    client.force_login(inspector)
    data = editor_post(
        new,
        categories={2: {"name": ""}, 1: {"name": "服务礼仪"}},
        items={0: {"deduction": "-1"}, 1: {"code": "A01"}, 2: {"text": ""}, 3: {"category": 4}},
    )
    response = client.post(url("template-edit", new), data)
    assert response.status_code == 400
    editor = response.context["editor"]
    categories, items = editor.categories.forms, editor.items.forms
    assert categories[2].errors["name"] == ["This field is required."]
    assert items[0].errors["deduction"] == ["Ensure this value is greater than or equal to 0."]
    assert items[2].errors["text"] == ["This field is required."]
    for name in ("categories-2-name", "items-0-deduction", "items-2-text"):
        assert error_is_beside_field(response, name), name
    body = response.content.decode()
    assert 'href="#items-0"' in body and 'id="items-0"' in body  # the summary links to the card
    assert codes(new) == before

    # Once the rows themselves are valid, duplicates and a removed category are named beside the fields.
    data = editor_post(
        new,
        categories={1: {"name": "服务礼仪"}},
        items={1: {"code": "a01"}, 3: {"category": 4}},
    )
    editor = client.post(url("template-edit", new), data).context["editor"]
    assert editor.categories.forms[1].errors["name"] == ["Another category already has this name."]
    data = editor_post(new, categories={3: {"DELETE": True}}, items={1: {"code": "a01"}, 3: {"category": 4}})
    response = client.post(url("template-edit", new), data)
    assert response.status_code == 400
    items = response.context["editor"].items.forms
    assert items[1].errors["code"] == ["Another item already has this code."]
    assert items[3].errors["category"] == ["Select a valid choice. 4 is not one of the available choices."]
    data = editor_post(new, categories={3: {"DELETE": True}})
    items = client.post(url("template-edit", new), data).context["editor"].items.forms
    assert items[11].errors["category"] == ["This category is removed or empty: choose another."]
    assert codes(new) == before


def test_a_stale_revision_answers_409_with_the_draft_as_it_is_now(client, inspector):
    new = draft(inspector)
    client.force_login(inspector)
    first = client.post(
        url("template-edit", new), editor_post(new, items={0: {"text": "问候语"}}, revision=1)
    )
    assert first.status_code == 303
    stale = client.post(
        url("template-edit", new), editor_post(new, items={1: {"text": "道别语"}}, revision=1)
    )
    assert stale.status_code == 409
    body = stale.content.decode()
    assert "changed by someone else since you opened it. Nothing was saved" in body
    assert 'name="checklist-revision" value="2"' in body  # the page now shows the current draft
    assert list(new.items.order_by("position").values_list("text", flat=True))[:2] == ["问候语", "使用送宾语"]


def test_a_version_used_by_a_visit_is_read_only_and_a_post_is_refused_with_the_reason(
    client, inspector, hall
):
    new = draft(inspector)
    checklists.activate_template(actor=inspector, template=new)
    services.start_visit(
        actor=inspector,
        hall=hall,
        visited_at=timezone.now() - datetime.timedelta(hours=1),
        mode="overt",
        template=new,
    )
    checklists.activate_template(actor=inspector, template=draft(inspector))  # `new` steps down
    client.force_login(inspector)
    page = client.get(url("template-edit", new))
    assert page.status_code == 200 and page.context["editor"] is None
    assert "Inspections were judged by this version" in page.content.decode()
    refused = client.post(url("template-edit", new), editor_post(new, items={0: {"deduction": "9"}}))
    assert refused.status_code == 409
    body = refused.content.decode()
    assert "Nothing was saved. Inspections were judged by this version, so it can no longer change" in body
    assert new.items.get(code="A01").deduction == Decimal("3")
    detail = client.get(url("template-detail", new)).content.decode()
    assert "data-refusal" in detail and url("template-edit", new) not in detail


def test_the_version_in_force_is_read_only_in_the_editor(client, inspector):
    client.force_login(inspector)
    current = default_template()
    page = client.get(url("template-edit", current))
    assert "This version is in force" in page.content.decode()
    assert client.post(url("template-edit", current), editor_post(current)).status_code == 409


def test_putting_a_version_in_force_is_confirmed_first_and_audited(client, inspector):
    current = default_template()
    new = draft(inspector)
    client.force_login(inspector)
    confirm = client.get(url("template-activate", new))
    body = confirm.content.decode()
    assert confirm.status_code == 200
    assert "Version 1, in force now, steps down." in body
    assert 'name="revision" value="1"' in body
    new.refresh_from_db()
    assert not new.is_active  # a GET changes nothing
    response = client.post(url("template-activate", new), {"revision": new.revision})
    assert response.status_code == 303 and response["Location"] == url("template-detail", new)
    current.refresh_from_db()
    new.refresh_from_db()
    assert (current.is_active, new.is_active) == (False, True)
    event = AuditEvent.objects.get(action="mystery.template.activated")
    assert (event.actor, event.data) == (inspector, {"version": 2, "superseded": "v1"})
    detail = client.get(url("template-detail", new)).content.decode()
    assert "Checklist version put in force" in detail  # the history on the detail page


def test_activation_from_a_stale_confirmation_answers_409_and_an_empty_draft_is_refused(client, inspector):
    new = draft(inspector)
    client.force_login(inspector)
    client.post(url("template-edit", new), editor_post(new, categories={4: {"name": "待补充", "ORDER": 5}}))
    stale = client.post(url("template-activate", new), {"revision": 1})
    assert stale.status_code == 409
    assert "changed by someone else" in stale.content.decode()
    page = client.get(url("template-activate", new))
    assert "Category “待补充” has no items" in page.content.decode()
    refused = client.post(url("template-activate", new), {"revision": 2})
    assert refused.status_code == 400
    assert "Category “待补充” has no items" in refused.context["form"].non_field_errors()[0]
    assert ChecklistTemplate.objects.get(is_active=True) == default_template()


@pytest.mark.parametrize("role", ["hall_manager", "clerk", "branch_manager", "other_hall_manager"])
def test_only_the_market_department_may_open_the_editor(client, cast, role):
    new = draft(cast.inspector)
    client.force_login(getattr(cast, role))
    assert client.get(url("template-edit", new)).status_code == 403
    assert client.post(url("template-edit", new), editor_post(new)).status_code == 403
    assert client.post(url("template-new-version", new)).status_code == 403
    assert client.get(url("template-activate", new)).status_code == 403
    assert client.post(url("template-activate", new), {"revision": 1}).status_code == 403
    assert client.get(url("template-detail", new)).status_code == 200  # reading is for everyone
    assert ChecklistTemplate.objects.count() == 2 and not ChecklistTemplate.objects.get(pk=new.pk).is_active


def page_queries(client, path) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def checklist_of(size: int) -> list[CategorySpec]:
    """`size` items spread over up to four categories."""
    categories = [CategorySpec(name=f"分类{n}") for n in range(min(size, 4))]
    for n in range(size):
        categories[n % len(categories)].items.append(
            ItemSpec(
                code=f"X{n:02}", text=f"检查项{n}", deduction=Decimal(1), scope="hall" if n % 2 else "clerk"
            )
        )
    return categories


def test_the_editor_page_costs_the_same_queries_at_3_and_12_items(client, inspector):
    client.force_login(inspector)
    small, large = draft(inspector), draft(inspector)
    checklists.update_template(actor=inspector, template=small, revision=1, categories=checklist_of(3))
    checklists.update_template(actor=inspector, template=large, revision=1, categories=checklist_of(12))
    page_queries(client, url("template-edit", small))  # warm the session and content-type caches
    counts = [page_queries(client, url("template-edit", t)) for t in (small, large)]
    assert counts[0] == counts[1]
    assert len(client.get(url("template-edit", large)).context["editor"].items.forms) == 12 + 2
    details = [page_queries(client, url("template-detail", t)) for t in (small, large)]
    assert details[0] == details[1]


def test_the_checklist_list_costs_the_same_queries_at_2_and_6_versions(client, inspector, hall, clerk_staff):
    client.force_login(inspector)
    published_visit(inspector, hall, clerk_staff)
    draft(inspector)
    small = page_queries(client, url("template-list"))
    for _ in range(4):
        draft(inspector)
    assert page_queries(client, url("template-list")) == small


def rectifications_of(inspector, hall, clerk_staff, visits: int) -> None:
    """Three rectification tasks per visit (a hall item, a photo item, a clerk item failed)."""
    for _ in range(visits):
        published_visit(inspector, hall, clerk_staff, fail_codes=("A01", "C02", "D01"))


def test_the_rectification_list_page_costs_the_same_queries_at_3_and_12_tasks(
    client, inspector, hall, hall_manager, clerk_staff
):
    rectifications_of(inspector, hall, clerk_staff, 1)
    for user in (inspector, hall_manager):
        client.force_login(user)
        page_queries(client, url("rectification-list"))
    counts = {}
    for size, visits in ((3, 0), (12, 3)):
        rectifications_of(inspector, hall, clerk_staff, visits)
        assert Rectification.objects.count() == size
        for user in (inspector, hall_manager):
            client.force_login(user)
            response = client.get(url("rectification-list"))
            assert len(response.context["page"].object_list) == size
            counts[(user.username, size)] = page_queries(client, url("rectification-list"))
    assert counts[("inspector", 3)] == counts[("inspector", 12)]
    assert counts[("hall-manager", 3)] == counts[("hall-manager", 12)]


def test_the_rectification_api_list_costs_the_same_queries_at_3_and_12_tasks(
    inspector, hall, hall_manager, clerk_staff
):
    api = APIClient()
    path = "/api/v1/assessment/rectifications/"

    def count(user) -> tuple[int, int]:
        api.force_authenticate(user)
        with CaptureQueriesContext(connection) as queries:
            response = api.get(path)
        assert response.status_code == 200
        return len(response.json()["results"]), len(queries)

    rectifications_of(inspector, hall, clerk_staff, 1)
    for user in (inspector, hall_manager):
        count(user)  # warm the per-user caches
    small = {user.username: count(user) for user in (inspector, hall_manager)}
    rectifications_of(inspector, hall, clerk_staff, 3)
    large = {user.username: count(user) for user in (inspector, hall_manager)}
    assert [n for n, _q in small.values()] == [3, 3] and [n for n, _q in large.values()] == [12, 12]
    assert {u: q for u, (_n, q) in small.items()} == {u: q for u, (_n, q) in large.items()}


def test_the_checklist_pages_are_translated_to_chinese(inspector):
    from django.test import Client

    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(inspector)
    new = draft(inspector)
    listing = client.get(url("template-list")).content.decode()
    assert "草稿" in listing and "启用中" in listing
    editor = client.get(url("template-edit", new)).content.decode()
    for chinese in ("类别名称", "扣分分值", "不合格时须拍照", "一票否决项", "保存草稿", "新检查项", "顺序"):
        assert chinese in editor, chinese
    confirm = client.get(url("template-activate", new)).content.decode()
    assert "启用检查表版本" in confirm
    bad = client.post(url("template-edit", new), editor_post(new, items={0: {"deduction": "-1"}}))
    assert "未保存任何内容" in bad.content.decode()


def _msgids_of_new_files() -> set[str]:
    """Every msgid the checklist editor's own modules and templates use."""
    import ast
    import re
    from pathlib import Path

    from django.conf import settings
    from django.utils.translation.template import templatize

    root = Path(settings.BASE_DIR) / "assessment"
    msgids = set()
    sources = [root / "mystery_shop" / f"checklist_{name}.py" for name in ("forms", "services", "views")]
    templates = [
        root / "templates/assessment/mystery_shop" / f"template_{name}.html"
        for name in ("list", "detail", "edit", "activate")
    ]
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = getattr(node.func, "id", None) if isinstance(node, ast.Call) else None
            if (
                name in ("_", "gettext", "gettext_lazy")
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                msgids.add(node.args[0].value)
    for path in templates:
        # templatize writes each {% translate %} / {% blocktranslate %} as gettext(u'…') / ngettext(u'…', …).
        code = templatize(path.read_text(encoding="utf-8"), origin=str(path))
        for literal in re.findall(r"\b(?:gettext|ngettext)\((u'(?:[^'\\]|\\.)*')", code):
            msgids.add(ast.literal_eval(literal))
    return msgids


def test_every_string_of_the_checklist_editor_has_a_chinese_translation():
    from django.utils import translation

    msgids = _msgids_of_new_files()
    assert {"Save the draft", "Put the checklist version in force", "Category name"} <= msgids
    with translation.override("zh-hans"):
        untranslated = sorted(m for m in msgids if translation.gettext(m) == m)
    assert untranslated == []
