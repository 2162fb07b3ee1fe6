"""Catalog rules that need no database: "from" prices, searchable text (and slugs, re-exported),
and what makes a product a merchant may save (checked field by field, every problem at once)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from app.money import parse_amount
from app.platform.slugs import slugify

__all__ = [
    "InvalidProduct",
    "ProductDraft",
    "ProductValues",
    "VariantDraft",
    "VariantValues",
    "check_product",
    "lowest_price",
    "product_problems",
    "search_text",
    "slugify",
    "variant_name",
]


def variant_name(option_values: Iterable[str]) -> str:
    """What shoppers see for a variant, e.g. "M / Navy"; "Default" when it has no options."""
    return " / ".join(option_values) or "Default"


def lowest_price(prices: Iterable[int]) -> int:
    """The "from" price of a product: its cheapest variant, 0 when it has none."""
    return min(prices, default=0)


def search_text(
    attributes: Iterable[tuple[str, str]],
    options: Iterable[tuple[str, str]],
    category_names: Iterable[str] = (),
) -> str:
    """The extra searchable text of a product, deduplicated: its category names (so "shirt"
    finds what sits under T-shirts), attribute values and variant option values."""
    seen: dict[str, None] = {}
    values = [*category_names, *(value for _name, value in [*attributes, *options])]
    for value in values:
        cleaned = value.strip()
        if cleaned and cleaned.lower() not in {key.lower() for key in seen}:
            seen[cleaned] = None
    return " ".join(seen)


# What a merchant may type when authoring a product (the columns' sizes, and sane bounds).
NAME_MAX = 200
DESCRIPTION_MAX = 20_000
SKU_MAX = 64
OPTION_NAME_MAX = 60
OPTION_VALUE_MAX = 120
ATTRIBUTE_NAME_MAX = 60
ATTRIBUTE_VALUE_MAX = 200
OPTION_AXES = 3
MAX_VARIANTS = 100
MAX_ATTRIBUTES = 30
PRICE_MAX = 100_000_000
WEIGHT_MAX = 1_000_000

Problems = dict[str, list[str]]
Report = Callable[[str, str], None]


@dataclass(frozen=True)
class VariantDraft:
    """A variant as typed on the product form (text as entered; `id` names an existing one).

    `values` holds one option value per option axis of the product, in axis order.
    """

    sku: str = ""
    price: str = ""
    compare_at: str = ""
    weight: str = ""
    values: tuple[str, ...] = ()
    id: int | None = None
    remove: bool = False

    @property
    def is_blank(self) -> bool:
        """A new row left empty (an "add another variant" row not filled in): ignored."""
        typed = (self.sku, self.price, self.compare_at, self.weight, *self.values)
        return self.id is None and not any(text.strip() for text in typed)


@dataclass(frozen=True)
class ProductDraft:
    """A product as typed on the product form, before any check."""

    name: str = ""
    description: str = ""
    category_id: int | None = None
    option_names: tuple[str, ...] = ()
    attributes: tuple[tuple[str, str], ...] = ()
    variants: tuple[VariantDraft, ...] = ()


@dataclass(frozen=True)
class VariantValues:
    """A checked variant: amounts in minor units, options as (name, value) pairs; `index` is
    its row on the form (for messages)."""

    index: int
    id: int | None
    sku: str
    price_amount: int
    compare_at_amount: int | None
    weight_grams: int
    options: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ProductValues:
    """A checked product: what to keep, and the existing variants (by form row) to remove."""

    name: str
    description: str
    category_id: int
    attributes: tuple[tuple[str, str], ...]
    variants: tuple[VariantValues, ...]
    removed: dict[int, int] = field(default_factory=dict)


class InvalidProduct(ValueError):
    """The product breaks the rules; `errors` maps each form field (e.g. `variants-0-sku`) to
    its messages, the empty key to messages about the whole form."""

    def __init__(self, errors: Problems):
        super().__init__("; ".join(message for messages in errors.values() for message in messages))
        self.errors = errors


def variant_field(index: int, name: str) -> str:
    """The form field of a variant row, e.g. `variants-2-price`."""
    return f"variants-{index}-{name}"


def option_field(axis: int) -> str:
    """The form field naming option axis `axis` (0-based), e.g. `option1_name`."""
    return f"option{axis + 1}_name"


def check_product(draft: ProductDraft, currency: str) -> tuple[ProductValues | None, Problems]:
    """The checked values of `draft`, or None with every problem by form field."""
    problems: Problems = {}

    def problem(key: str, message: str) -> None:
        add_problem(problems, key, message)

    name = draft.name.strip()
    if not name:
        problem("name", "Enter the product's name.")
    elif len(name) > NAME_MAX:
        problem("name", f"Use at most {NAME_MAX} characters.")
    description = draft.description.strip()
    if len(description) > DESCRIPTION_MAX:
        problem("description", f"Use at most {DESCRIPTION_MAX} characters.")
    if draft.category_id is None:
        problem("category_id", "Choose a category.")
    axes = _check_axes(draft.option_names, problem)
    attributes = _check_attributes(draft.attributes, problem)
    variants, removed = _check_variants(draft, axes, currency, problem)
    if problems:
        return None, problems
    values = ProductValues(
        name=name,
        description=description,
        category_id=draft.category_id or 0,
        attributes=attributes,
        variants=tuple(variants),
        removed=removed,
    )
    return values, {}


def product_problems(draft: ProductDraft, currency: str) -> Problems:
    """Every problem of `draft` by form field (empty when it may be saved)."""
    return check_product(draft, currency)[1]


def _check_axes(names: tuple[str, ...], problem: Report) -> list[tuple[int, str]]:
    """The named option axes as (axis, name); problems for long or repeated names."""
    axes = []
    seen = set()
    for axis, raw in enumerate(names[:OPTION_AXES]):
        name = raw.strip()
        if not name:
            continue
        if len(name) > OPTION_NAME_MAX:
            problem(option_field(axis), f"Use at most {OPTION_NAME_MAX} characters.")
        elif name.casefold() in seen:
            problem(option_field(axis), "Another option has this name already.")
        seen.add(name.casefold())
        axes.append((axis, name))
    return axes


def _check_attributes(
    pairs: tuple[tuple[str, str], ...], problem: Report
) -> tuple[tuple[str, str], ...]:
    """Attributes with both halves filled in; a half-filled row or a repeated name is a problem."""
    kept = []
    seen = set()
    for index, (raw_name, raw_value) in enumerate(pairs):
        name, value = raw_name.strip(), raw_value.strip()
        if not name and not value:
            continue
        key = f"attributes-{index}"
        if not name:
            problem(f"{key}-name", "Name this attribute (such as Material), or clear its value.")
        elif len(name) > ATTRIBUTE_NAME_MAX:
            problem(f"{key}-name", f"Use at most {ATTRIBUTE_NAME_MAX} characters.")
        elif name.casefold() in seen:
            problem(f"{key}-name", "Another attribute has this name already.")
        if not value:
            problem(f"{key}-value", "Enter a value, or clear the attribute's name.")
        elif len(value) > ATTRIBUTE_VALUE_MAX:
            problem(f"{key}-value", f"Use at most {ATTRIBUTE_VALUE_MAX} characters.")
        seen.add(name.casefold())
        kept.append((name, value))
    if len(kept) > MAX_ATTRIBUTES:
        problem("", f"A product has at most {MAX_ATTRIBUTES} attributes.")
    return tuple(kept)


def _check_variants(
    draft: ProductDraft, axes: list[tuple[int, str]], currency: str, problem: Report
) -> tuple[list[VariantValues], dict[int, int]]:
    """The variants to keep (checked) and the existing ones to remove (form row -> id)."""
    kept: list[VariantValues] = []
    removed: dict[int, int] = {}
    skus: dict[str, int] = {}
    combinations: dict[tuple[str, ...], int] = {}
    for index, variant in enumerate(draft.variants):
        if variant.is_blank:
            continue
        if variant.remove and variant.id is not None:
            removed[index] = variant.id
            continue
        if variant.remove:
            continue
        checked = _check_variant(index, variant, axes, currency, problem)
        if checked is None:
            continue
        if checked.sku in skus:
            problem(variant_field(index, "sku"), "Another variant of this product has this SKU.")
        skus.setdefault(checked.sku, index)
        combination = tuple(value.casefold() for _name, value in checked.options)
        if axes and combination in combinations:
            problem(variant_field(index, "option1"), "Another variant has the same options.")
        combinations.setdefault(combination, index)
        kept.append(checked)
    counted = [variant for variant in draft.variants if not variant.is_blank and not variant.remove]
    if not counted:
        problem("variants", "A product needs at least one variant: give it a SKU and a price.")
    elif len(counted) > MAX_VARIANTS:
        problem("variants", f"A product has at most {MAX_VARIANTS} variants.")
    elif len(counted) > 1 and not axes:
        problem(
            option_field(0),
            "Name an option (such as Size) so shoppers can tell the variants apart.",
        )
    return kept, removed


def _check_variant(
    index: int, variant: VariantDraft, axes: list[tuple[int, str]], currency: str, problem: Report
) -> VariantValues | None:
    """One variant row checked, or None when it has a problem (reported)."""
    found: Problems = {}
    outer, problem = problem, functools.partial(add_problem, found)
    sku = variant.sku.strip()
    if not sku:
        problem(variant_field(index, "sku"), "Enter a SKU.")
    elif len(sku) > SKU_MAX:
        problem(variant_field(index, "sku"), f"Use at most {SKU_MAX} characters.")
    elif any(not character.isprintable() for character in sku):
        problem(variant_field(index, "sku"), "Use letters, digits and punctuation only.")
    price = _amount(variant.price, currency)
    if not variant.price.strip():
        problem(variant_field(index, "price"), "Enter a price.")
    elif price is None:
        problem(variant_field(index, "price"), "Enter a price such as 12.50.")
    elif price <= 0:
        problem(variant_field(index, "price"), "Enter a price above zero.")
    elif price > PRICE_MAX:
        problem(variant_field(index, "price"), "Enter a smaller price.")
    compare_at = _amount(variant.compare_at, currency) if variant.compare_at.strip() else None
    if variant.compare_at.strip() and compare_at is None:
        problem(
            variant_field(index, "compare_at"), "Enter a price such as 15.00, or leave it empty."
        )
    elif compare_at is not None and price is not None and compare_at <= price:
        problem(
            variant_field(index, "compare_at"),
            "The compare-at price must be higher than the price (or left empty).",
        )
    elif compare_at is not None and compare_at > PRICE_MAX:
        problem(variant_field(index, "compare_at"), "Enter a smaller price.")
    weight = _grams(variant.weight)
    if weight is None:
        problem(variant_field(index, "weight"), "Enter the weight in whole grams, such as 250.")
    elif weight > WEIGHT_MAX:
        problem(variant_field(index, "weight"), f"Enter at most {WEIGHT_MAX} grams.")
    options = []
    named = dict(axes)
    for axis in range(OPTION_AXES):
        value = variant.values[axis].strip() if axis < len(variant.values) else ""
        key = variant_field(index, f"option{axis + 1}")
        if axis in named and not value:
            problem(key, f"Enter this variant's {named[axis]}.")
        elif axis not in named and value:
            problem(key, "Name this option above the variants, or clear the value.")
        elif len(value) > OPTION_VALUE_MAX:
            problem(key, f"Use at most {OPTION_VALUE_MAX} characters.")
        elif value:
            options.append((named[axis], value))
    for key, messages in found.items():
        for message in messages:
            outer(key, message)
    if found:
        return None
    return VariantValues(
        index=index,
        id=variant.id,
        sku=sku,
        price_amount=price or 0,
        compare_at_amount=compare_at,
        weight_grams=weight or 0,
        options=tuple(options),
    )


def add_problem(problems: Problems, key: str, message: str) -> None:
    """Note `message` against form field `key`."""
    problems.setdefault(key, []).append(message)


def _amount(text: str, currency: str) -> int | None:
    """Minor units from text such as `12.50`, None when it is not an amount."""
    try:
        return parse_amount(text, currency)
    except ValueError:
        return None


def _grams(text: str) -> int | None:
    """Whole grams from text (empty is 0), None when it is not a whole number."""
    cleaned = text.strip().replace(",", "")
    if not cleaned:
        return 0
    return int(cleaned) if cleaned.isdigit() and cleaned.isascii() else None
