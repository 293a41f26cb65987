import ast
from pathlib import Path

from django.conf import settings
from django.utils import translation

from assessment.models import FactImport
from halls.audit import ACTION_LABELS, DATA_LABELS, action_label, data_label

APPS = ("halls", "staffing", "assessment", "complaints", "training")


def _recorded_actions() -> set[str]:
    """Every action passed to record_audit(...) in the apps' code; an f-string action is expanded
    where its values are known (the import kinds) and otherwise fails the test."""
    actions = set()
    root = Path(settings.BASE_DIR)
    for app in APPS:
        for path in (root / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                name = getattr(node.func, "id", None) if isinstance(node, ast.Call) else None
                if not name or not (name == "record_audit" or name.startswith("_audit")):
                    continue
                for keyword in node.keywords:
                    if keyword.arg != "action":
                        continue
                    if name.startswith("_audit") or not isinstance(keyword.value, ast.Name):
                        pass
                    elif keyword.value.id == "action":
                        continue  # a module's own _audit…(action=…) wrapper: its callers are read instead
                    if isinstance(keyword.value, ast.Constant):
                        actions.add(keyword.value.value)
                    elif ast.unparse(keyword.value) == "f'assessment.import.{kind}'":
                        actions |= {f"assessment.import.{kind}" for kind in FactImport.Kind.values}
                    else:
                        raise AssertionError(f"{path}: unexpected action {ast.unparse(keyword.value)}")
    return actions


def test_every_audited_action_has_a_label():
    actions = _recorded_actions()
    assert {"training.attendance.recorded", "complaints.accountability.decided"} <= actions
    assert sorted(actions - set(ACTION_LABELS)) == []


def test_every_action_label_is_translated_to_chinese():
    with translation.override("en"):
        english = {code: str(label) for code, label in ACTION_LABELS.items()}
    with translation.override("zh-hans"):
        untranslated = [code for code, label in ACTION_LABELS.items() if str(label) == english[code]]
        assert untranslated == []
        assert action_label("training.attendance.recorded") == "登记培训出勤"
        assert action_label("unknown.action") == "unknown.action"


# --- the keys of an audit event's data -------------------------------------------------------------


def _dynamic_data_keys() -> dict[tuple[str, str], set[str]]:
    """Data built from values only known at run time, by (file, expression): where their keys come
    from. A new expression of this kind fails the test below until it is listed here."""
    from halls.models import OpeningHours
    from halls.services import HALL_FIELDS
    from staffing.roster_services import SHIFT_TYPE_FIELDS
    from staffing.services import EDITABLE_FIELDS
    from training.models import AttendanceStatus

    return {
        (
            "halls/services.py",
            "{str(d): f'{s[0]:%H:%M}-{s[1]:%H:%M}' if s else None for d, s in hours.items()}",
        ): {str(day) for day in OpeningHours.Weekday.values},
        ("halls/services.py", "changed_fields(before, changes)"): set(HALL_FIELDS),
        ("staffing/services.py", "changed_fields(before, changes)"): set(EDITABLE_FIELDS),
        ("staffing/roster_services.py", "changed_fields(before, after)"): set(SHIFT_TYPE_FIELDS),
        (
            "training/services.py",
            "{status: sum((1 for r in rows if r.status == status)) for status in AttendanceStatus.values}",
        ): set(AttendanceStatus.values),
    }


class _DataKeyReader:
    """Reads the top-level keys of every `data=` handed to record_audit(...) or to a module's own
    `_audit…(...)` wrapper: dict literals (with `**` spreads), names assigned in the same function
    (plus `name["key"] = …` and `name.update(...)`), calls of a function of the same module (its
    returned dicts), and comprehensions over such a name; anything else must be listed in
    `_dynamic_data_keys`."""

    def __init__(self, path: Path, relative: str, dynamic: dict):
        self.relative = relative
        self.dynamic = dynamic
        self.tree = ast.parse(path.read_text(encoding="utf-8"))
        self.functions = {
            node.name: node
            for node in ast.walk(self.tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        self.parents = {child: node for node in ast.walk(self.tree) for child in ast.iter_child_nodes(node)}

    def calls(self):
        for node in ast.walk(self.tree):
            name = getattr(node.func, "id", None) if isinstance(node, ast.Call) else None
            if name and (name == "record_audit" or name.startswith("_audit")):
                for keyword in node.keywords:
                    if keyword.arg == "data":
                        yield node, keyword.value

    def _function_of(self, node):
        while node is not None and not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            node = self.parents.get(node)
        return node

    def keys(self, expr, at) -> set[str]:
        """The keys of `expr`, an expression inside the function around `at`; None when it is
        the wrapper's own parameter (its callers are read instead)."""
        where = f"{self.relative}:{expr.lineno}"
        listed = self.dynamic.get((self.relative, ast.unparse(expr)))
        if listed is not None:
            return set(listed)
        if isinstance(expr, ast.Constant) and expr.value is None:
            return set()
        if isinstance(expr, ast.Dict):
            keys = set()
            for key, value in zip(expr.keys, expr.values, strict=True):
                if key is None:
                    keys |= self.keys(value, at)
                elif isinstance(key, ast.Constant) and isinstance(key.value, str):
                    keys.add(key.value)
                else:
                    raise AssertionError(f"{where}: cannot read the audit data key {ast.unparse(key)}")
            return keys
        if isinstance(expr, ast.DictComp):
            [generator] = expr.generators
            if ast.unparse(expr.key) == ast.unparse(generator.target) and isinstance(
                generator.iter, ast.Name
            ):
                return self.keys(generator.iter, at)
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id in self.functions:
            returns = [n.value for n in ast.walk(self.functions[expr.func.id]) if isinstance(n, ast.Return)]
            return set().union(*(self.keys(value, value) for value in returns if value is not None))
        if isinstance(expr, ast.Name):
            function = self._function_of(at)
            parameters = {a.arg for a in function.args.kwonlyargs + function.args.args} if function else set()
            if expr.id in parameters and function.name.startswith("_audit"):
                return set()  # the wrapper's own parameter: its callers are read instead
            scope = function if function is not None else self.tree
            keys, found = set(), False
            for node in ast.walk(scope):
                if isinstance(node, ast.Assign):
                    for target in node.targets:
                        if isinstance(target, ast.Name) and target.id == expr.id:
                            keys |= self.keys(node.value, node)
                            found = True
                        elif (
                            isinstance(target, ast.Subscript)
                            and isinstance(target.value, ast.Name)
                            and target.value.id == expr.id
                        ):
                            if not (
                                isinstance(target.slice, ast.Constant) and isinstance(target.slice.value, str)
                            ):
                                raise AssertionError(
                                    f"{where}: cannot read the audit data key {ast.unparse(target)}"
                                )
                            keys.add(target.slice.value)
                elif (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "update"
                    and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == expr.id
                ):
                    keys |= {kw.arg for kw in node.keywords if kw.arg}
                    keys |= set().union(*(self.keys(arg, node) for arg in node.args))
            if found:
                return keys
        raise AssertionError(
            f"{where}: cannot read the keys of the audit data {ast.unparse(expr)}; list them in _dynamic_data_keys"
        )


def _recorded_data_keys() -> dict[str, set[str]]:
    """{key: {where it is written}} for every key of every audit event's data in the apps' code."""
    root = Path(settings.BASE_DIR)
    dynamic = _dynamic_data_keys()
    found: dict[str, set[str]] = {}
    for app in APPS:
        for path in (root / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            relative = path.relative_to(root).as_posix()
            reader = _DataKeyReader(path, relative, dynamic)
            for call, data in reader.calls():
                for key in reader.keys(data, call):
                    found.setdefault(key, set()).add(f"{relative}:{call.lineno}")
    return found


def test_every_audit_data_key_has_a_label():
    keys = _recorded_data_keys()
    # The reader reaches literal dicts, names built in the function, helpers and the listed ones.
    assert {
        "sessions_ended",
        "bottom_percent",
        "paused_from",
        "exams",
        "kind",
        "present",
        "window_count",
    } <= set(keys)
    missing = {
        key: sorted(where) for key, where in keys.items() if key not in DATA_LABELS and not key.isdigit()
    }
    assert missing == {}


def test_every_audit_data_label_is_translated_to_chinese():
    with translation.override("en"):
        english = {key: str(label) for key, label in DATA_LABELS.items()}
    with translation.override("zh-hans"):
        untranslated = [key for key, label in DATA_LABELS.items() if str(label) == english[key]]
        assert untranslated == []
        assert data_label("sessions_ended") == "结束的会话数"
        assert data_label("3") == "星期四"  # weekday numbers count from Monday = 0
        assert data_label("from") != data_label("from", "staffing.staff.transferred")
        assert data_label("unknown_key") == "unknown_key"


def test_the_audit_table_shows_every_key_by_its_label(db):
    from halls.templatetags.hallops_ui import audit_details

    with translation.override("zh-hans"):
        details = audit_details(
            {"present": 3, "absent": 1, "exams_withdrawn": ["C0001 80/100", "C0002 70/100"], "1": None}
        )
    assert details == [
        ("出席", "3"),
        ("缺席", "1"),
        ("撤回的考试成绩", "C0001 80/100, C0002 70/100"),
        ("星期二", "不营业"),
    ]
    with translation.override("zh-hans"):
        changed = audit_details({"star_level": [2, 3], "has_vip_zone": [False, True]}, "halls.hall.updated")
        transfer = audit_details(
            {"from": "H001", "to": "H002", "on": "2026-11-01"}, "staffing.staff.transferred"
        )
    assert changed == [("星级", "2 → 3"), ("贵宾服务专区", "否 → 是")]
    assert transfer == [("调出", "H001"), ("调入", "H002"), ("生效日期", "2026-11-01")]


def test_choice_codes_in_the_audit_table_show_as_their_labels(db):
    from halls.templatetags.hallops_ui import audit_details

    with translation.override("zh-hans"):
        generated = audit_details(
            {"method": "solver", "status": "OPTIMAL", "assignments": 12}, "staffing.roster.generated"
        )
        requested = audit_details({"method": "rotation"}, "staffing.roster.generation_requested")
        granted = audit_details({"post": "window", "from": "2026-11-01"}, "staffing.qualification.granted")
        updated = audit_details(
            {"post": ["clerk", "guide"], "status": ["probation", "active"]}, "staffing.staff.updated"
        )
        hall = audit_details({"hall_class": ["B", "A"]}, "halls.hall.updated")
        unknown = audit_details({"status": "OPTIMAL"}, "some.other.action")
    assert generated == [("方式", "优化生成"), ("状态", "最优解"), ("排班数", "12")]
    assert requested == [("方式", "轮换模板")]
    assert granted[0] == ("岗位", "服务窗口")
    assert updated == [("岗位", "营业员 → 导向人员"), ("状态", "试用期 → 在职")]
    assert hall == [("营业厅类别", "B类 → A类（旗舰厅）")]
    assert unknown == [("状态", "OPTIMAL")]  # a code is labelled only where its action registered it


def test_the_hall_history_shows_roster_and_qualification_codes_by_their_labels(cast, client):
    from django.urls import reverse

    from halls.audit import record_audit
    from tests.staffing.factories import RosterFactory

    roster = RosterFactory(hall=cast.hall)
    record_audit(
        actor=cast.hall_manager,
        action="staffing.roster.generated",
        subject=roster,
        data={"method": "solver", "status": "FEASIBLE", "assignments": 3},
    )
    record_audit(
        actor=cast.hall_manager,
        action="staffing.qualification.granted",
        subject=roster,
        hall=cast.hall,
        data={"staff": "C0001", "post": "window"},
    )
    client.force_login(cast.branch_manager)
    html = client.get(reverse("hall_detail", args=[cast.hall.pk])).content.decode()
    assert "优化生成" in html and "可行解（未证明最优）" in html and "服务窗口" in html
    for code in ("solver", "FEASIBLE", "window"):
        assert f"</span> {code}" not in html
