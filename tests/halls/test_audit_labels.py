import ast
from pathlib import Path

from django.conf import settings
from django.utils import translation

from assessment.models import FactImport
from halls.audit import ACTION_LABELS, action_label

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
