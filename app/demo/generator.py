"""Believable demo products drawn from the word lists; deterministic for a given random generator.

Nothing here touches the database: the seeding service turns drafts into rows.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from app.catalog import rules
from app.demo.wordlists import DEPARTMENTS, FIRST_NAMES, LAST_NAMES, ORIGINS, Axis, Department, Leaf

MAX_VARIANTS = 6
FEATURED_SHARE = 0.10
SOLD_OUT_SHARE = 0.04
OUT_SHARE = 0.06
LOW_SHARE = 0.12
LOW_STOCK_THRESHOLD = 5
AGE_SECONDS = 120 * 24 * 3600
IMAGES_PER_LEAF = 4
MODEL_NAMES = ("One", "Two", "Air", "Max", "Mini", "Go", "Plus", "S2", "X3", "Lite")


@dataclass(frozen=True, slots=True)
class VariantDraft:
    """A variant to create: its option values, price, weight and units on hand."""

    options: tuple[tuple[str, str], ...]
    price_amount: int
    weight_grams: int
    on_hand: int

    @property
    def name(self) -> str:
        """What shoppers see, e.g. "M / Navy"; "Default" for a product's only plain variant."""
        return rules.variant_name(value for _, value in self.options)


@dataclass(frozen=True, slots=True)
class ProductDraft:
    """A product to create, with everything but database ids."""

    department: Department
    leaf: Leaf
    name: str
    description: str
    attributes: tuple[tuple[str, str], ...]
    variants: tuple[VariantDraft, ...]
    featured: bool
    age_seconds: int
    image_slots: tuple[int, ...]


def draft_products(rng: random.Random, count: int) -> Iterator[ProductDraft]:
    """`count` products spread over every category, in a stable order for a given `rng`."""
    leaves = [(department, leaf) for department in DEPARTMENTS for leaf in department.leaves]
    for _ in range(count):
        department, leaf = rng.choice(leaves)
        yield draft_product(rng, department, leaf)


def draft_product(rng: random.Random, department: Department, leaf: Leaf) -> ProductDraft:
    """One product of the `leaf` category: name, description, attributes, variants and stock."""
    brand = rng.choice(department.brands)
    adjective = rng.choice(department.adjectives)
    noun = rng.choice(leaf.nouns)
    material = rng.choice(leaf.materials) if leaf.materials else ""
    if department.books:
        author = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        name = book_title(rng, adjective, noun)
        pages = str(rng.randrange(96, 720))
        attributes = [("Author", author), ("Publisher", brand), ("Pages", pages)]
        intro = f"{name} by {author}, published by {brand.rstrip('.')}."
    else:
        name = product_name(rng, brand, adjective, noun, material)
        attributes = [("Brand", brand)]
        if material:
            attributes.append(("Material", material))
        attributes.append(("Made in", rng.choice(ORIGINS)))
        intro = describe(adjective, noun, material, brand)
    attributes.extend((key, rng.choice(values)) for key, values in leaf.extra_attributes.items())
    sentences = rng.sample(department.sentences, 2)
    description = " ".join([intro, *sentences, rng.choice(department.closing)])
    sold_out = rng.random() < SOLD_OUT_SHARE
    variants = tuple(
        VariantDraft(
            options=options,
            price_amount=price,
            weight_grams=rng.randrange(*leaf.weight_range),
            on_hand=0 if sold_out else stock_units(rng),
        )
        for options, price in variant_prices(rng, leaf, pick_options(rng, leaf.axes))
    )
    return ProductDraft(
        department=department,
        leaf=leaf,
        name=name,
        description=description,
        attributes=tuple(attributes),
        variants=variants,
        featured=rng.random() < FEATURED_SHARE,
        age_seconds=rng.randrange(AGE_SECONDS),
        image_slots=tuple(rng.sample(range(IMAGES_PER_LEAF), rng.randint(1, 3))),
    )


def product_name(rng: random.Random, brand: str, adjective: str, noun: str, material: str) -> str:
    """A product name in one of a few shapes, e.g. "Loomwell Relaxed Hoodie"."""
    shapes = [f"{brand} {adjective} {noun}", f"{brand} {noun} {rng.choice(MODEL_NAMES)}"]
    if material:
        shapes.append(f"{adjective} {material} {noun}")
    return rng.choice(shapes)


def book_title(rng: random.Random, adjective: str, noun: str) -> str:
    """A book title, e.g. "The Silent Harbour" or "Winter Orchard"."""
    return rng.choice([f"The {adjective} {noun}", f"{adjective} {noun}", f"A {adjective} {noun}"])


def describe(adjective: str, noun: str, material: str, brand: str) -> str:
    """The opening sentence of a product description."""
    made_of = f" in {material.lower()}" if material else ""
    article = "An" if adjective[0].lower() in "aeiou" else "A"
    return f"{article} {adjective.lower()} {noun.lower()}{made_of} from {brand.rstrip('.')}."


def pick_options(rng: random.Random, axes: tuple[Axis, ...]) -> list[tuple[tuple[str, str], ...]]:
    """Option combinations for 1 to 6 variants: runs of sizes, handfuls of colours."""
    combinations: list[tuple[tuple[str, str], ...]] = [()]
    for axis in axes:
        room = MAX_VARIANTS // len(combinations)
        if room < 1:
            break
        count = rng.randint(1, min(room, len(axis.values), 4))
        if axis.consecutive:
            start = rng.randrange(len(axis.values) - count + 1)
            values = axis.values[start : start + count]
        else:
            values = tuple(rng.sample(axis.values, count))
        combinations = [(*combo, (axis.name, value)) for combo in combinations for value in values]
    return combinations


def variant_prices(
    rng: random.Random, leaf: Leaf, combinations: list[tuple[tuple[str, str], ...]]
) -> list[tuple[tuple[tuple[str, str], ...], int]]:
    """Each option combination with its price: a base price scaled by its values' factors."""
    base = rng.randrange(*leaf.price_range)
    axes = {axis.name: axis for axis in leaf.axes}
    priced = []
    for combo in combinations:
        factor = 1.0
        for name, value in combo:
            factor *= axes[name].price_factor(value)
        priced.append((combo, charm_price(round(base * factor))))
    return priced


def charm_price(amount: int) -> int:
    """A shop-like price in minor units ending in 99: 2437 -> 2499."""
    return max(99, amount // 100 * 100 + 99)


def stock_units(rng: random.Random) -> int:
    """Units on hand for a variant: mostly plenty, some low, some none."""
    roll = rng.random()
    if roll < OUT_SHARE:
        return 0
    if roll < OUT_SHARE + LOW_SHARE:
        return rng.randint(1, LOW_STOCK_THRESHOLD)
    return rng.randint(LOW_STOCK_THRESHOLD + 1, 150)
