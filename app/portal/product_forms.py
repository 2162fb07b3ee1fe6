"""The product form: what a merchant types, kept as typed; the catalog's rules check it.

The fields carry no validators of their own (but CSRF): `app.catalog.rules.check_product` checks
the draft the form makes and names each problem by the field's name (`variants-0-sku`), which
`show_problems` puts next to that field.
"""

from __future__ import annotations

from collections.abc import Iterator

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Field,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)

from app.catalog.rules import OPTION_AXES, ProductDraft, VariantDraft
from app.catalog.tree import CategoryNode

MAX_ROWS = 100


class AttributeForm(Form):
    """One descriptive attribute, e.g. Material = Cotton."""

    name = StringField("Attribute")
    value = StringField("Value")


class VariantForm(Form):
    """One variant row: SKU, prices, weight and a value for each named option."""

    id = HiddenField()
    sku = StringField("SKU")
    price = StringField("Price")
    compare_at = StringField("Compare-at price")
    weight = StringField("Weight (g)")
    option1 = StringField("Option 1")
    option2 = StringField("Option 2")
    option3 = StringField("Option 3")
    remove = BooleanField("Remove")


class ProductForm(FlaskForm):
    """Create or edit a product with its attributes and variants."""

    name = StringField("Name")
    description = TextAreaField("Description")
    category_id = SelectField("Category", choices=[], validate_choice=False)
    option1_name = StringField("Option 1")
    option2_name = StringField("Option 2")
    option3_name = StringField("Option 3")
    attributes = FieldList(FormField(AttributeForm), min_entries=1, max_entries=MAX_ROWS)
    variants = FieldList(FormField(VariantForm), min_entries=1, max_entries=MAX_ROWS)
    add_variant = SubmitField("Add another variant")
    add_attribute = SubmitField("Add another attribute")
    save = SubmitField("Save")

    @property
    def option_names(self) -> list[Field]:
        return [self[f"option{axis + 1}_name"] for axis in range(OPTION_AXES)]

    def draft(self) -> ProductDraft:
        """What the merchant typed, for the catalog's rules."""
        return ProductDraft(
            name=self.name.data or "",
            description=self.description.data or "",
            category_id=whole_number(self.category_id.data),
            option_names=tuple(field.data or "" for field in self.option_names),
            attributes=tuple(
                (entry.form.name.data or "", entry.form.value.data or "")
                for entry in self.attributes
            ),
            variants=tuple(variant_draft(entry.form) for entry in self.variants),
        )

    def wants_another_row(self) -> bool:
        """Whether the merchant pressed "add another variant" or "add another attribute" (the
        form is shown again with a blank row, nothing saved); adds that row."""
        for pressed, rows in (
            (self.add_variant, self.variants),
            (self.add_attribute, self.attributes),
        ):
            if pressed.data:
                if len(rows) < MAX_ROWS:
                    rows.append_entry()
                return True
        return False

    def show_problems(self, problems: dict[str, list[str]]) -> list[str]:
        """Put each problem next to its field; the rest (about the whole form) are returned."""
        fields = dict(self.named_fields())
        general = []
        for name, messages in problems.items():
            field = fields.get(name)
            if field is None:
                general.extend(messages)
            else:
                field.errors = [*field.errors, *messages]
        return general

    def named_fields(self) -> Iterator[tuple[str, Field]]:
        """Every field by its name on the page, the variant and attribute rows' included."""
        for field in self:
            if isinstance(field, FieldList):
                for entry in field:
                    for inner in entry.form:
                        yield inner.name, inner
            else:
                yield field.name, field


def variant_draft(form: VariantForm) -> VariantDraft:
    """One variant row as typed."""
    return VariantDraft(
        sku=form.sku.data or "",
        price=form.price.data or "",
        compare_at=form.compare_at.data or "",
        weight=form.weight.data or "",
        values=tuple(form[f"option{axis + 1}"].data or "" for axis in range(OPTION_AXES)),
        id=whole_number(form.id.data),
        remove=bool(form.remove.data),
    )


def whole_number(text: object) -> int | None:
    """A positive id from form text, None for anything else."""
    cleaned = str(text or "").strip()
    return int(cleaned) if cleaned.isdigit() and cleaned.isascii() and len(cleaned) < 12 else None


def form_data(draft: ProductDraft) -> dict:
    """The form's initial data from a draft (the edit page's current values)."""
    names = list(draft.option_names) + [""] * OPTION_AXES
    return {
        "name": draft.name,
        "description": draft.description,
        "category_id": str(draft.category_id or ""),
        **{f"option{axis + 1}_name": names[axis] for axis in range(OPTION_AXES)},
        "attributes": [{"name": name, "value": value} for name, value in draft.attributes] or [{}],
        "variants": [
            {
                "id": str(variant.id or ""),
                "sku": variant.sku,
                "price": variant.price,
                "compare_at": variant.compare_at,
                "weight": variant.weight,
                **{
                    f"option{axis + 1}": (list(variant.values) + [""] * OPTION_AXES)[axis]
                    for axis in range(OPTION_AXES)
                },
            }
            for variant in draft.variants
        ]
        or [{}],
    }


def category_choices(tree: list[CategoryNode]) -> list[tuple[str, str]]:
    """The category select's options: each top-level category, then its subcategories."""
    choices = [("", "Choose a category")]
    for top in tree:
        choices.append((str(top.id), top.name))
        choices.extend((str(child.id), f"{top.name} \u203a {child.name}") for child in top.children)
    return choices
