"""Forms of the checklist editor: a new checklist's name and what it starts from
(`NewChecklistForm`); a draft's categories and its items, two formsets posted together
(`ChecklistEditor`), with the revision the page showed.

Every check of checklist_services.validate_checklist is made here too, so the errors stand beside
the fields. An item names its category by the category row's number in the same post, so a
category added, renamed or moved in the same save can be chosen like any other. Rows are ordered
by their "position" numbers (categories among themselves, items within their category)."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from assessment.mystery_shop import checklist_services
from assessment.mystery_shop.checklist_services import MAX_CATEGORIES, MAX_ITEMS, CategorySpec, ItemSpec
from assessment.mystery_shop.forms import MysteryServiceForm
from assessment.mystery_shop.models import ChecklistItem, ChecklistTemplate

LAST = 10**6  # rows without a position number go last, in the order they were posted


class RevisionForm(forms.Form):
    """The revision of the version the page showed (a stale one is refused with 409)."""

    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class CategoryForm(forms.Form):
    name = forms.CharField(label=_("Category name"), max_length=120)


class ItemForm(forms.Form):
    code = forms.RegexField(
        label=_("Code"),
        regex=r"^\S{1,20}$",
        max_length=20,
        error_messages={"invalid": _("Up to 20 characters without spaces, such as A01.")},
    )
    text = forms.CharField(label=_("Item"), max_length=300)
    guidance = forms.CharField(
        label=_("How to judge"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    # Blank first choice: an untouched extra row posts nothing and is ignored.
    category = forms.ChoiceField(label=pgettext_lazy("checklist", "Category"))
    deduction = forms.DecimalField(
        label=_("Deduction points"),
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        max_digits=5,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}),
    )
    scope = forms.ChoiceField(
        label=_("Judged"), choices=ChecklistItem.Scope.choices, initial=ChecklistItem.Scope.CLERK
    )
    photo_required = forms.BooleanField(label=_("Photo required on failure"), required=False)
    is_veto = forms.BooleanField(label=_("Veto item (一票否决)"), required=False)

    def __init__(self, *args, category_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "—"), *category_choices]

    def spec(self) -> ItemSpec:
        data = self.cleaned_data
        return ItemSpec(
            code=data["code"],
            text=data["text"],
            guidance=data["guidance"],
            deduction=data["deduction"],
            scope=data["scope"],
            photo_required=data["photo_required"],
            is_veto=data["is_veto"],
        )


class KeptRowsMixin:
    """Rows that count: the version's own rows and filled-in new ones, not marked for deletion
    (an untouched empty row is ignored)."""

    def _counted(self) -> list[tuple[int, forms.Form]]:
        return [
            (index, form)
            for index, form in enumerate(self.forms)
            if (index < self.initial_form_count() or form.has_changed())
            and not self._should_delete_form(form)
        ]

    def kept(self) -> list[tuple[int, forms.Form]]:
        """(row number, form) of the rows that count, by their position number."""

        def position(row):
            order = row[1].cleaned_data.get("ORDER")
            return (LAST if order is None else order, row[0])

        return sorted(self._counted(), key=position)

    def kept_rows_valid(self) -> bool:
        return not any(form.errors for _index, form in self._counted())

    def mark_duplicates(self, name: str, message: str) -> None:
        """Every row after the first with the same `name` (case aside) gets `message` beside it,
        whatever errors other rows have, so all show at once."""
        seen = set()
        for _index, form in self._counted():
            value = getattr(form, "cleaned_data", {}).get(name)
            if not value:
                continue
            if value.casefold() in seen:
                form.add_error(name, message)
            seen.add(value.casefold())

    def add_fields(self, form, index):
        super().add_fields(form, index)
        form.fields["ORDER"].label = _("Position")
        form.fields["ORDER"].widget.attrs.update({"min": 1, "inputmode": "numeric"})
        form.fields["DELETE"].label = _("Remove")


class BaseCategoryFormSet(KeptRowsMixin, forms.BaseFormSet):
    def clean(self):
        self.mark_duplicates("name", _("Another category already has this name."))
        if self.kept_rows_valid() and not self._counted():
            raise forms.ValidationError(_("A checklist needs at least one category."))


class BaseItemFormSet(KeptRowsMixin, forms.BaseFormSet):
    def clean(self):
        self.mark_duplicates("code", _("Another item already has this code."))


CategoryFormSet = forms.formset_factory(
    CategoryForm,
    formset=BaseCategoryFormSet,
    extra=1,
    can_order=True,
    can_delete=True,
    max_num=MAX_CATEGORIES,
    validate_max=True,
)
ItemFormSet = forms.formset_factory(
    ItemForm,
    formset=BaseItemFormSet,
    extra=2,
    can_order=True,
    can_delete=True,
    max_num=MAX_ITEMS,
    validate_max=True,
)


class ChecklistEditor:
    """The editor's whole form: revision, categories formset, items formset. `template` is a version
    with its categories and their items prefetched in order (selectors.template_detail)."""

    def __init__(self, data=None, *, template: ChecklistTemplate):
        self.template = template
        categories = list(template.categories.all())
        category_initial = [{"name": c.name} for c in categories]
        item_initial = [
            {
                "code": item.code,
                "text": item.text,
                "guidance": item.guidance,
                "category": str(number),
                "deduction": item.deduction,
                "scope": item.scope,
                "photo_required": item.photo_required,
                "is_veto": item.is_veto,
            }
            for number, category in enumerate(categories)
            for item in category.items.all()
        ]
        self.revision_form = RevisionForm(data, initial={"revision": template.revision}, prefix="checklist")
        self.categories = CategoryFormSet(data, initial=category_initial, prefix="categories")
        self.items = ItemFormSet(
            data,
            initial=item_initial,
            prefix="items",
            form_kwargs={"category_choices": self._category_choices(data, category_initial)},
        )
        self.errors: list[str] = []
        self.conflict: str | None = None

    def _category_choices(self, data, initial) -> list[tuple[str, str]]:
        """(row number, name) of every category row of this page, the new empty ones included."""
        choices = []
        for number in range(self.categories.total_form_count()):
            if data is not None:
                name = (data.get(f"{self.categories.prefix}-{number}-name") or "").strip()
            else:
                name = initial[number]["name"] if number < len(initial) else ""
            choices.append((str(number), name or _("New category %(n)s (name it above)") % {"n": number + 1}))
        return choices

    def is_valid(self) -> bool:
        # Every part is validated, so every error shows at once.
        valid = [self.revision_form.is_valid(), self.categories.is_valid(), self.items.is_valid()]
        if not all(valid):
            return False
        kept = {index for index, _form in self.categories.kept()}
        for _index, form in self.items.kept():
            if int(form.cleaned_data["category"]) not in kept:
                form.add_error("category", _("This category is removed or empty: choose another."))
        return not any(form.errors for _index, form in self.items.kept())

    @property
    def revision(self) -> int:
        return self.revision_form.cleaned_data["revision"]

    def specs(self) -> list[CategorySpec]:
        """The checklist as posted, in order: categories by position, items by category then position."""
        categories = self.categories.kept()
        place = {index: n for n, (index, _form) in enumerate(categories)}
        specs = [CategorySpec(name=form.cleaned_data["name"]) for _index, form in categories]
        for _index, form in self.items.kept():
            specs[place[int(form.cleaned_data["category"])]].items.append(form.spec())
        return specs

    def add_error(self, message: str) -> None:
        """A refusal of the service that no field owns (shown above the form)."""
        self.errors.append(message)

    def item_groups(self) -> list[tuple[str, list]]:
        """Item rows grouped under their category for display (row numbers never change, so the
        post is the same whatever the grouping): by category row, then new rows last."""
        labels = dict(self.items.forms[0].fields["category"].choices) if self.items.forms else {}
        groups: dict[str, list] = {}
        new_rows = []
        for index, form in enumerate(self.items.forms):
            value = form["category"].value() or ""
            if index >= self.items.initial_form_count() and not (form.is_bound and form.has_changed()):
                new_rows.append(form)
            else:
                groups.setdefault(str(value), []).append(form)
        ordered = sorted(groups.items(), key=lambda kv: int(kv[0]) if kv[0].isdigit() else LAST)
        result = [(labels.get(key) or _("No category"), forms_) for key, forms_ in ordered]
        if new_rows:
            result.append((_("New items"), new_rows))
        return result

    def error_summary(self) -> list[tuple[str, str]]:
        """(anchor, label) of every row with an error, for the links above the form on a phone."""
        rows = []
        for index, form in enumerate(self.categories.forms):
            if form.errors:
                name = form["name"].value() or _("new category")
                rows.append((form.prefix, _("Category %(n)s: %(name)s") % {"n": index + 1, "name": name}))
        for form in self.items.forms:
            if form.errors:
                code = form["code"].value() or _("new item")
                rows.append((form.prefix, _("Item %(code)s") % {"code": code}))
        return rows

    @property
    def has_errors(self) -> bool:
        return bool(
            self.errors
            or self.revision_form.errors
            or self.categories.non_form_errors()
            or self.items.non_form_errors()
            or self.error_summary()
        )


class ActivateForm(forms.Form):
    """The confirmation of putting a version in force, with the revision the page showed."""

    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class NewChecklistForm(MysteryServiceForm):
    """A new checklist: its name and what it starts from — nothing, or a copy of any version of
    any checklist (grouped by name; `groups` as selectors.template_versions returns them). A name
    another checklist has (case aside) is refused beside the name by the service."""

    name = forms.CharField(
        label=_("Checklist name"),
        max_length=checklist_services.NAME_MAX_LENGTH,
        help_text=_("For example: class-B partner hall checklist, or phone and online channel checklist."),
    )
    source = forms.TypedChoiceField(
        label=_("Start from"),
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": _("Choose one of the checklist versions listed.")},
    )

    def __init__(self, *args, groups: list[tuple[str, list[ChecklistTemplate]]], **kwargs):
        super().__init__(*args, **kwargs)
        self.versions = {t.pk: t for _name, versions in groups for t in versions}
        self.fields["source"].choices = [
            ("", _("Nothing: an empty checklist")),
            *[(name, [(t.pk, self._label(t)) for t in versions]) for name, versions in groups],
        ]

    @staticmethod
    def _label(template: ChecklistTemplate) -> str:
        label = _("version %(v)s") % {"v": template.version}
        if template.is_active:
            label = _("%(version)s, in force") % {"version": label}
        items = getattr(template, "item_count", None)
        if items is None:
            return label
        return ngettext("%(version)s (%(items)s item)", "%(version)s (%(items)s items)", items) % {
            "version": label,
            "items": items,
        }

    def perform(self, *, actor):
        source = self.cleaned_data["source"]
        return checklist_services.create_checklist(
            actor=actor,
            name=self.cleaned_data["name"],
            source=self.versions[source] if source is not None else None,
        )
