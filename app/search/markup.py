"""The HTML of the facet checkboxes, built in Python: a category page draws dozens per request."""

from __future__ import annotations

from collections.abc import Iterable

from markupsafe import Markup, escape

from app.search.services import Facets, FacetValue

COUNT = '<span class="facet-count">({count}<span class="visually-hidden"> products</span>)</span>'


def facet_fieldsets(facets: Facets, show_categories: bool = True) -> Markup:
    """Fieldsets of checkboxes: category (when shown), shop, price, availability, then each
    attribute; a facet without values is left out, availability always shows."""
    parts = []
    if show_categories and facets.categories:
        parts.append(fieldset("Category", "category", facets.categories))
    if facets.merchants:
        parts.append(fieldset("Shop", "merchant", facets.merchants))
    if facets.prices:
        parts.append(fieldset("Price", "price", facets.prices))
    parts.append(fieldset("Availability", "in_stock", [facets.in_stock]))
    parts.extend(
        fieldset(attribute.name, "attr", attribute.values) for attribute in facets.attributes
    )
    return Markup("".join(parts))


def fieldset(legend: str, name: str, values: Iterable[FacetValue]) -> str:
    """One facet: a legend and a list of labelled checkboxes named `name`."""
    items = "".join(checkbox(name, value) for value in values)
    return f"<fieldset>\n<legend>{escape(legend)}</legend>\n<ul>\n{items}</ul>\n</fieldset>\n"


def checkbox(name: str, value: FacetValue) -> str:
    """A labelled checkbox: the value's label, its context (a category's parent), its count."""
    checked = " checked" if value.selected else ""
    context = (
        f' <span class="facet-count">in {escape(value.context)}</span>' if value.context else ""
    )
    return (
        f'<li><label class="checkbox"><input type="checkbox" name="{name}" '
        f'value="{escape(value.value)}"{checked}> <span>{escape(value.label)}{context} '
        f"{COUNT.format(count=int(value.count))}</span></label></li>\n"
    )
