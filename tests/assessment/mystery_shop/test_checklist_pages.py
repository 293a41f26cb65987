"""The checklist editor pages: versions per name, a new checklist (a new name, empty or copied), a new
draft from a version, the draft's formset (errors beside the fields, 409 when stale or frozen),
putting a version in force behind a confirmation page; who may do what; pinned query counts (and
those of the rectification list page and API)."""

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
from tests.assessment.mystery_shop.factories import default_template, phone_checklist, published_visit, start
from tests.pages import error_is_beside_field, field_error

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
    assert client.get(url("template-detail", new)).status_code == 404  # a draft is the market department's
    assert client.get(url("template-detail", default_template())).status_code == 200  # the version in force
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
        for name in ("list", "detail", "edit", "activate", "create")
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


# --- a new checklist (a new name) -----------------------------------------------------------------

PHONE = "Phone and online checklist"


def new_checklist(client, name=PHONE, source=None):
    return client.post(url("template-create"), {"name": name, "source": "" if source is None else source.pk})


def checklist_sections(body: str) -> dict[str, str]:
    """{checklist name: what its heading says is in force} on the list page."""
    import re
    from html import unescape

    sections = re.findall(
        r'<section [^>]*data-checklist="([^"]*)".*?<span [^>]*data-in-force>(.*?)</span>', body, re.S
    )
    return {unescape(name): unescape(text).strip() for name, text in sections}


def test_the_market_department_creates_an_empty_checklist_and_adds_its_first_category_and_item(
    client, inspector
):
    client.force_login(inspector)
    listing = client.get(url("template-list")).content.decode()
    assert f'href="{url("template-create")}"' in listing
    form = client.get(url("template-create"))
    assert form.status_code == 200
    body = form.content.decode()
    assert 'name="name"' in body and 'maxlength="120"' in body
    assert f'<option value="{default_template().pk}">version 1, in force (15 items)</option>' in body

    response = new_checklist(client, name=f"  {PHONE} ")
    new = ChecklistTemplate.objects.get(name=PHONE)
    assert response.status_code == 303 and response["Location"] == url("template-edit", new)
    assert (new.version, new.is_active, new.items.count()) == (1, False, 0)
    page = client.get(response["Location"])
    assert "was created as a draft" in page.content.decode()
    editor = page.context["editor"]
    assert (len(editor.categories.forms), len(editor.items.forms)) == (1, 2)

    data = editor_post(
        new,
        categories={0: {"name": "接通与应答", "ORDER": 1}},
        items={0: {"code": "P01", "text": "三声内接听", "category": 0, "deduction": "5", "scope": "hall"}},
    )
    saved = client.post(url("template-edit", new), data)
    assert saved.status_code == 303, saved.context["editor"].error_summary()
    assert list(new.items.values_list("code", "text", "category__name")) == [
        ("P01", "三声内接听", "接通与应答")
    ]
    event = AuditEvent.objects.get(action="mystery.template.created")
    assert (event.actor, event.subject_id) == (inspector, str(new.pk))
    assert event.data == {"name": PHONE, "version": 1, "categories": 0, "items": 0}
    assert "Checklist created" in client.get(url("template-detail", new)).content.decode()  # its history


def test_a_new_checklist_copied_from_a_version_has_its_categories_and_items_and_the_source_is_untouched(
    client, inspector
):
    source = default_template()
    before = list(source.items.order_by("position").values_list("pk", "code", "text", "deduction"))
    client.force_login(inspector)
    response = new_checklist(client, source=source)
    copy = ChecklistTemplate.objects.get(name=PHONE)
    assert response.status_code == 303 and response["Location"] == url("template-edit", copy)
    assert list(copy.categories.order_by("position").values_list("name", flat=True)) == list(
        source.categories.order_by("position").values_list("name", flat=True)
    )
    assert list(copy.items.order_by("position").values_list("code", "text", "deduction")) == [
        row[1:] for row in before
    ]
    source.refresh_from_db()
    assert source.is_active and source.revision == 1
    assert list(source.items.order_by("position").values_list("pk", "code", "text", "deduction")) == before
    event = AuditEvent.objects.get(action="mystery.template.created")
    assert event.data["from"] == f"{source.name} v1" and event.data["items"] == 15


@pytest.mark.parametrize("taken", [PHONE, PHONE.upper(), f" {PHONE.swapcase()} "])
def test_a_name_another_checklist_has_is_an_error_beside_the_name_and_nothing_is_saved(
    client, inspector, taken
):
    client.force_login(inspector)
    new_checklist(client)
    count, events = ChecklistTemplate.objects.count(), AuditEvent.objects.count()
    response = new_checklist(client, name=taken, source=default_template())
    assert response.status_code == 400
    assert field_error(response, "name") == (
        "A checklist with this name already exists (names are compared without case)."
    )
    assert error_is_beside_field(response, "name")
    assert (ChecklistTemplate.objects.count(), AuditEvent.objects.count()) == (count, events)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "", "source": ""}, "name", "This field is required."),
        ({"name": "   ", "source": ""}, "name", "This field is required."),
        (
            {"name": "检" * 121, "source": ""},
            "name",
            "Ensure this value has at most 120 characters (it has 121).",
        ),
        ({"name": PHONE, "source": "999999"}, "source", "Choose one of the checklist versions listed."),
    ],
)
def test_a_bad_name_or_source_is_an_error_beside_its_field(client, inspector, data, field, message):
    client.force_login(inspector)
    response = client.post(url("template-create"), data)
    assert response.status_code == 400
    assert field_error(response, field) == message
    assert error_is_beside_field(response, field)
    assert ChecklistTemplate.objects.count() == 1
    assert not AuditEvent.objects.filter(action="mystery.template.created").exists()


def test_an_empty_new_checklist_cannot_be_put_in_force(client, inspector):
    client.force_login(inspector)
    new_checklist(client)
    new = ChecklistTemplate.objects.get(name=PHONE)
    confirm = client.get(url("template-activate", new)).content.decode()
    assert "The checklist has no items." in confirm
    assert '<button type="submit" class="btn btn-success" disabled>' in confirm
    refused = client.post(url("template-activate", new), {"revision": new.revision})
    assert refused.status_code == 400
    assert refused.context["form"].non_field_errors() == ["The checklist has no items."]
    new.refresh_from_db()
    assert not new.is_active
    assert not AuditEvent.objects.filter(action="mystery.template.activated").exists()


@pytest.mark.parametrize("role", ["hall_manager", "clerk", "branch_manager", "other_hall_manager"])
def test_only_the_market_department_may_create_a_checklist(client, cast, role):
    client.force_login(getattr(cast, role))
    assert client.get(url("template-create")).status_code == 403
    assert new_checklist(client, source=default_template()).status_code == 403
    assert f'href="{url("template-create")}"' not in client.get(url("template-list")).content.decode()
    assert list(ChecklistTemplate.objects.values_list("name", flat=True)) == [default_template().name]
    assert not AuditEvent.objects.filter(action="mystery.template.created").exists()


def test_the_list_shows_each_name_with_the_version_in_force(client, inspector, hall_manager, hall):
    default = default_template()
    checklists.activate_template(actor=inspector, template=draft(inspector))  # default: v2 in force
    draft(inspector)  # and a v3 draft
    phone_checklist(inspector, name=PHONE)  # v1 in force
    checklists.create_template_version(actor=inspector, template=ChecklistTemplate.objects.get(name=PHONE))
    checklists.create_checklist(actor=inspector, name="B类合作营业厅检查表")  # no version in force
    start(inspector, hall, template=ChecklistTemplate.objects.get(name=PHONE, version=1))  # covert draft
    expected = {
        "B类合作营业厅检查表": "no version in force yet",
        PHONE: "version 1 in force",
        default.name: "version 2 in force",
    }
    client.force_login(inspector)
    body = client.get(url("template-list")).content.decode()
    assert checklist_sections(body) == expected
    assert body.count("used by 1 inspection") == 1  # the phone checklist's v1
    client.force_login(hall_manager)
    body = client.get(url("template-list")).content.decode()
    # The hall reads the versions that have been in force (the retired v1 of the default too; the
    # covert draft visit shows nothing): a name without one is left out, and no draft is listed.
    del expected["B类合作营业厅检查表"]
    assert checklist_sections(body) == expected
    assert [
        (name, [t.version for t in versions])
        for name, versions in client.get(url("template-list")).context["groups"]
    ] == [(PHONE, [1]), (default.name, [2, 1])]
    assert "data-visit-count" not in body and "used by" not in body and "frozen" not in body
    assert ">draft<" not in body


def test_the_checklist_list_with_several_names_costs_the_same_queries_at_2_and_6_names(
    client, inspector, hall_manager, hall
):
    def more_names(n):
        """`n` more names, each with a version in force (which the hall reads) and a draft."""
        for _ in range(n):
            created = checklists.create_checklist(
                actor=inspector, name=f"检查表{ChecklistTemplate.objects.count()}", source=default_template()
            )
            checklists.activate_template(actor=inspector, template=created)
            checklists.create_template_version(actor=inspector, template=created)

    start(inspector, hall)
    more_names(1)  # 2 names
    counts = {}
    for user in (inspector, hall_manager):
        client.force_login(user)
        page_queries(client, url("template-list"))  # warm the session and content-type caches
        counts[user.username] = [page_queries(client, url("template-list"))]
    client.force_login(inspector)
    create_page = [page_queries(client, url("template-create"))]
    more_names(4)  # 6 names
    for user, versions in ((inspector, 11), (hall_manager, 6)):
        client.force_login(user)
        response = client.get(url("template-list"))
        assert len(response.context["groups"]) == 6
        assert sum(len(group.versions) for group in response.context["groups"]) == versions
        counts[user.username].append(page_queries(client, url("template-list")))
    client.force_login(inspector)
    create_page.append(page_queries(client, url("template-create")))
    assert counts["inspector"][0] == counts["inspector"][1]
    assert counts["hall-manager"][0] == counts["hall-manager"][1]
    assert create_page[0] == create_page[1]


def test_the_new_checklist_page_is_translated_to_chinese(inspector):
    from django.test import Client

    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(inspector)
    page = client.get(url("template-create")).content.decode()
    for chinese in (
        "新建检查表",
        "检查表名称",
        "起始内容",
        "不复制：空白检查表",
        "第 1 版，启用中（15 项）",
        "创建草稿",
    ):
        assert chinese in page, chinese
    refused = client.post(url("template-create"), {"name": default_template().name.upper(), "source": ""})
    assert "已有同名的检查表" in refused.content.decode()
    listing = client.get(url("template-list")).content.decode()
    assert "第 1 版启用中" in listing
