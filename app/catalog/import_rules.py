"""The catalogue CSV format: reading a file, checking its columns and turning each row into a
variant to write, or a reason to reject it. No database here (see `importing` for that).

One row per variant; rows sharing a `product_handle` form one product, whose columns are read
from its first row (later rows repeat `product_name` and `category`, and repeat or leave empty
`description`, `status` and `attributes`). A column left out of the file keeps what the catalogue
has; `status`, `stock_on_hand` and `low_stock_threshold` left empty keep it too.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

from app.catalog import rules as catalog_rules
from app.catalog.models import ProductStatus
from app.money import Money, parse_amount
from app.platform.slugs import slugify

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
OPTION_SLOTS = catalog_rules.OPTION_AXES
MAX_QUANTITY = 10_000_000
VARIANT_NAME_MAX = 120
ATTRIBUTE_SEPARATOR = ";"
CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
LINE_BREAK = re.compile(r"[\r\n]")

COLUMNS = (
    "sku",
    "product_handle",
    "product_name",
    "description",
    "category",
    "status",
    "variant_name",
    *(f"option{slot}_{part}" for slot in range(1, OPTION_SLOTS + 1) for part in ("name", "value")),
    "price",
    "compare_at_price",
    "weight_grams",
    "stock_on_hand",
    "low_stock_threshold",
    "attributes",
)
REQUIRED_COLUMNS = ("sku", "product_handle", "product_name", "category", "price")
PRODUCT_COLUMNS = ("product_name", "description", "category", "status", "attributes")
STATUSES = (ProductStatus.DRAFT, ProductStatus.PUBLISHED, ProductStatus.ARCHIVED)

COLUMN_DOCS = (
    (
        "sku",
        "yes",
        "The variant's stock-keeping unit, unique in your shop (64 characters at "
        "most). An import finds the variant to update by it; a new SKU creates a variant.",
    ),
    (
        "product_handle",
        "yes",
        "Groups rows into one product: rows with the same handle are the "
        'variants of one product. Compared as a URL slug ("Linen Shirt" and "linen-shirt" are '
        "the same). The export writes each product's URL slug.",
    ),
    ("product_name", "yes", "The product's name (200 characters at most)."),
    ("description", "no", "The product's description (plain text)."),
    ("category", "yes", "The category's slug, as in the category list below."),
    (
        "status",
        "no",
        "draft, published or archived. Empty keeps the product's status; a new "
        "product starts as a draft.",
    ),
    (
        "variant_name",
        "no",
        'What shoppers see for the variant; empty names it after its options (e.g. "M / Navy"). '
        "Left out of the file, a name made from the options follows them and a name of your own "
        "is kept.",
    ),
    (
        "option1_name, option1_value … option3_name, option3_value",
        "no",
        "Up to three options of "
        "the variant, e.g. Size = M and Colour = Navy. A name needs a value.",
    ),
    (
        "price",
        "yes",
        "The variant's price as a decimal number above zero, e.g. 19.99 (no currency sign).",
    ),
    (
        "compare_at_price",
        "no",
        "The earlier price shown struck through; empty for none. Must be higher than price.",
    ),
    ("weight_grams", "no", "Shipping weight in whole grams."),
    ("stock_on_hand", "no", "Units on hand. Empty leaves stock as it is (0 for a new variant)."),
    (
        "low_stock_threshold",
        "no",
        "You are told when available units fall to this number. Empty "
        "leaves it as it is (5 for a new variant).",
    ),
    (
        "attributes",
        "no",
        "Product attributes as Name=Value pairs separated by semicolons, e.g. "
        '"Material=Cotton; Fit=Slim". Write \\; and \\= for a semicolon or equals sign inside a '
        "name or value.",
    ),
)

SAMPLE_ROWS = (
    # sku, handle, name, description, category, status, variant_name, options 1-3,
    # price, compare_at_price, weight_grams, stock_on_hand, low_stock_threshold, attributes
    [
        "TEE-NVY-S",
        "organic-tee",
        "Organic cotton tee",
        "Soft, heavy cotton.",
        "t-shirts",
        "published",
        "",
        "Size",
        "S",
        "Colour",
        "Navy",
        "",
        "",
        "19.99",
        "24.99",
        "180",
        "12",
        "3",
        "Material=Organic cotton; Fit=Regular",
    ],
    [
        "TEE-NVY-M",
        "organic-tee",
        "Organic cotton tee",
        "",
        "t-shirts",
        "",
        "",
        "Size",
        "M",
        "Colour",
        "Navy",
        "",
        "",
        "19.99",
        "24.99",
        "190",
        "20",
        "3",
        "",
    ],
    [
        "TEE-NVY-L",
        "organic-tee",
        "Organic cotton tee",
        "",
        "t-shirts",
        "",
        "",
        "Size",
        "L",
        "Colour",
        "Navy",
        "",
        "",
        "21.99",
        "",
        "200",
        "",
        "",
        "",
    ],
    [
        "MUG-CLAY",
        "clay-mug",
        "Clay mug",
        "Hand thrown; 350 ml.",
        "mugs",
        "draft",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "14",
        "",
        "420",
        "6",
        "2",
        "Material=Stoneware",
    ],
)

BINARY_SIGNATURES = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"RIFF", "a WebP image or other media file"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (an Excel .xlsx workbook is one)"),
    (b"\xd0\xcf\x11\xe0", "an Excel .xls workbook"),
    (b"\x1f\x8b", "a gzip archive"),
)


class FileRefused(ValueError):
    """The whole file cannot be imported; the message says why, for the merchant."""


class RowRejected(ValueError):
    """One row cannot be imported; the message is the reason shown in the report."""


@dataclass(frozen=True)
class RawRow:
    """One record of the file: its (first) line number and its cells by column name."""

    line: int
    cells: dict[str, str]
    error: str = ""


@dataclass(frozen=True)
class CsvTable:
    """A file that passed the whole-file checks: its columns and its records."""

    columns: frozenset[str]
    rows: list[RawRow]


@dataclass(frozen=True)
class ProductFields:
    """What a row says about its product; `None` for a column the row leaves to another."""

    name: str
    description: str | None
    category: str
    status: str | None
    attributes: tuple[tuple[str, str], ...] | None


@dataclass(frozen=True)
class VariantRow:
    """A row that passed the checks: a variant of the product named by `handle`."""

    line: int
    sku: str
    handle: str
    product: ProductFields
    name: str | None
    options: tuple[tuple[str, str], ...] | None
    price_amount: int
    compare_at_amount: int | None
    weight_grams: int | None
    on_hand: int | None
    low_stock_threshold: int | None
    given: frozenset[str] = frozenset()


def read_table(content: bytes, max_bytes: int = MAX_BYTES, max_rows: int = MAX_ROWS) -> CsvTable:
    """Check a whole upload and split it into records; raises FileRefused with the reason."""
    if len(content) > max_bytes:
        raise FileRefused(
            f"The file is {megabytes(len(content))}; the largest file we import is "
            f"{megabytes(max_bytes)}. Split it into smaller files."
        )
    text = decode(content)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            raise FileRefused("The file is empty: it needs a header row and one row per variant.")
        columns = check_header(header)
        names = [cell.strip().lower() for cell in header]
        rows = []
        line = reader.line_num + 1
        for record in reader:
            if any(cell.strip() for cell in record):
                rows.append(raw_row(line, names, record))
                if len(rows) > max_rows:
                    raise FileRefused(
                        f"The file has more than {max_rows:,} rows; split it into smaller files."
                    )
            line = reader.line_num + 1
    except csv.Error as error:
        raise FileRefused(
            f"Line {reader.line_num} is not valid CSV ({error}). Check its quotes."
        ) from error
    if not rows:
        raise FileRefused("The file has a header row but no rows to import.")
    return CsvTable(columns=columns, rows=rows)


def decode(content: bytes) -> str:
    """The file's text: UTF-8 (with or without a byte-order mark), never binary."""
    for signature, kind in BINARY_SIGNATURES:
        if content.startswith(signature):
            raise FileRefused(f"This is not a CSV file: it looks like {kind}.")
    if b"\x00" in content:
        raise FileRefused(
            "This is not a CSV text file: it contains binary data (or is saved as UTF-16). "
            'Save it as "CSV UTF-8".'
        )
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        raise FileRefused(
            f"The file is not UTF-8 text (line {line} has a byte that is not UTF-8). "
            'Save it as "CSV UTF-8" and upload it again.'
        ) from error


def check_header(header: list[str]) -> frozenset[str]:
    """The file's column names, or FileRefused naming the missing, unknown or repeated ones."""
    names = [cell.strip().lower() for cell in header]
    problems = []
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        problems.append(f"missing column{plural(missing)}: {', '.join(missing)}")
    unknown = [name or "(an empty name)" for name in names if name not in COLUMNS]
    if unknown:
        problems.append(f"unknown column{plural(unknown)}: {', '.join(unknown)}")
    repeated = sorted({name for name in names if name and names.count(name) > 1})
    if repeated:
        problems.append(f"repeated column{plural(repeated)}: {', '.join(repeated)}")
    if problems:
        raise FileRefused(
            f"The header row does not match the import format ({'; '.join(problems)}). "
            "The first row must name the columns described on this page."
        )
    return frozenset(names)


def raw_row(line: int, names: list[str], record: list[str]) -> RawRow:
    error = ""
    if len(record) > len(names) and any(cell.strip() for cell in record[len(names) :]):
        error = f"The row has {len(record)} cells but the header names {len(names)} columns."
    cells = dict(zip(names, record, strict=False))
    return RawRow(line=line, cells=cells, error=error)


def parse_row(row: RawRow, columns: frozenset[str], currency: str) -> VariantRow:
    """The variant a row describes, or RowRejected with the first problem found."""
    if row.error:
        raise RowRejected(row.error)
    cells = {name: row.cells.get(name, "").strip() for name in COLUMNS}
    sku = cells["sku"]
    if not sku:
        raise RowRejected("sku is empty.")
    text("sku", sku, catalog_rules.SKU_MAX)
    if not cells["product_handle"]:
        raise RowRejected("product_handle is empty.")
    product_name = text(
        "product_name", cells["product_name"], catalog_rules.NAME_MAX, required=True
    )
    category = cells["category"].lower()
    if not category:
        raise RowRejected("category is empty.")
    status = cells["status"].lower() or None
    if status is not None and status not in STATUSES:
        raise RowRejected(f"status must be draft, published or archived, not {cells['status']!r}.")
    price = amount("price", cells["price"], currency, required=True)
    compare_at = amount("compare_at_price", cells["compare_at_price"], currency)
    if compare_at is not None and compare_at <= price:
        raise RowRejected("compare_at_price must be higher than price (or empty).")
    return VariantRow(
        line=row.line,
        sku=sku,
        handle=slugify(cells["product_handle"]),
        product=ProductFields(
            name=product_name,
            description=text(
                "description", row.cells.get("description", ""), catalog_rules.DESCRIPTION_MAX
            )
            if "description" in columns
            else None,
            category=category,
            status=status,
            attributes=parse_attributes(cells["attributes"]) if "attributes" in columns else None,
        ),
        name=text("variant_name", cells["variant_name"], VARIANT_NAME_MAX) or None,
        options=parse_options(cells) if "option1_name" in columns else None,
        price_amount=price,
        compare_at_amount=compare_at,
        weight_grams=whole_number("weight_grams", cells["weight_grams"], catalog_rules.WEIGHT_MAX)
        if "weight_grams" in columns
        else None,
        on_hand=whole_number("stock_on_hand", cells["stock_on_hand"], MAX_QUANTITY),
        low_stock_threshold=whole_number(
            "low_stock_threshold", cells["low_stock_threshold"], MAX_QUANTITY
        ),
        given=columns,
    )


def text(column: str, value: str, longest: int, required: bool = False) -> str:
    if required and not value.strip():
        raise RowRejected(f"{column} is empty.")
    if len(value) > longest:
        raise RowRejected(f"{column} is longer than {longest:,} characters.")
    if CONTROL_CHARACTER.search(value):
        raise RowRejected(f"{column} contains a control character.")
    if column != "description" and LINE_BREAK.search(value):
        raise RowRejected(f"{column} contains a line break.")
    return value


def amount(column: str, value: str, currency: str, required: bool = False) -> int | None:
    if not value:
        if required:
            raise RowRejected(f"{column} is empty.")
        return None
    try:
        minor_units = parse_amount(value, currency)
    except ValueError:
        raise RowRejected(
            f"{column} {value!r} is not a price: write a decimal number such as 19.99."
        ) from None
    if minor_units > catalog_rules.PRICE_MAX:
        largest = Money(catalog_rules.PRICE_MAX, currency).decimal_string()
        raise RowRejected(f"{column} is more than {largest}.")
    if minor_units == 0:
        raise RowRejected(f"{column} must be above zero.")
    return minor_units


def whole_number(column: str, value: str, largest: int) -> int | None:
    if not value:
        return None
    if not value.isascii() or not value.isdigit():
        raise RowRejected(f"{column} {value!r} is not a whole number of 0 or more.")
    number = int(value)
    if number > largest:
        raise RowRejected(f"{column} is more than {largest:,}.")
    return number


def parse_options(cells: dict[str, str]) -> tuple[tuple[str, str], ...]:
    options = []
    for slot in range(1, OPTION_SLOTS + 1):
        name = text(
            f"option{slot}_name", cells[f"option{slot}_name"], catalog_rules.OPTION_NAME_MAX
        )
        value = text(
            f"option{slot}_value", cells[f"option{slot}_value"], catalog_rules.OPTION_VALUE_MAX
        )
        if name and not value:
            raise RowRejected(f"option{slot}_value is empty but option{slot}_name is {name!r}.")
        if value and not name:
            raise RowRejected(f"option{slot}_name is empty but option{slot}_value is {value!r}.")
        if name:
            if name.casefold() in (known.casefold() for known, _ in options):
                raise RowRejected(f"The option {name!r} is named twice.")
            options.append((name, value))
    return tuple(options)


def parse_attributes(value: str) -> tuple[tuple[str, str], ...]:
    """`"Material=Cotton; Fit=Slim"` -> (("Material", "Cotton"), ("Fit", "Slim")); `\\;`, `\\=`
    and `\\\\` stand for a literal semicolon, equals sign and backslash."""
    pairs = []
    for part in split_escaped(value, ATTRIBUTE_SEPARATOR):
        if not part.strip():
            continue
        pieces = split_escaped(part, "=")
        if len(pieces) != 2:
            raise RowRejected(
                f"attributes: {unescape(part).strip()!r} is not a Name=Value pair "
                "(pairs are separated by semicolons)."
            )
        name, item = (unescape(piece).strip() for piece in pieces)
        if not name or not item:
            raise RowRejected(f"attributes: {unescape(part).strip()!r} needs a name and a value.")
        text("attributes", name, catalog_rules.ATTRIBUTE_NAME_MAX)
        text("attributes", item, catalog_rules.ATTRIBUTE_VALUE_MAX)
        if name.casefold() in (known.casefold() for known, _ in pairs):
            raise RowRejected(f"attributes: {name!r} is given twice.")
        pairs.append((name, item))
    if len(pairs) > catalog_rules.MAX_ATTRIBUTES:
        raise RowRejected(f"attributes: a product has at most {catalog_rules.MAX_ATTRIBUTES}.")
    return tuple(pairs)


def split_escaped(value: str, separator: str) -> list[str]:
    """Split on `separator` where no backslash escapes it (escapes are kept for `unescape`)."""
    parts, current, escaped = [], [], False
    for character in value:
        if escaped:
            current.append(character)
            escaped = False
        elif character == "\\":
            current.append(character)
            escaped = True
        elif character == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(character)
    parts.append("".join(current))
    return parts


def unescape(value: str) -> str:
    result, escaped = [], False
    for character in value:
        if escaped or character != "\\":
            result.append(character)
            escaped = False
        else:
            escaped = True
    return "".join(result)


def escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace("=", "\\=")


def format_attributes(pairs: Iterable[tuple[str, str]]) -> str:
    """The `attributes` cell for these pairs (what `parse_attributes` reads back)."""
    return "; ".join(f"{escape(name)}={escape(value)}" for name, value in pairs)


def product_conflict(first: ProductFields, other: ProductFields) -> str | None:
    """The product columns in which a later row of a product contradicts its first row."""
    differing = []
    if other.name != first.name:
        differing.append("product_name")
    if other.category != first.category:
        differing.append("category")
    if other.description and other.description != first.description:
        differing.append("description")
    if other.status is not None and other.status != first.status:
        differing.append("status")
    if other.attributes and other.attributes != first.attributes:
        differing.append("attributes")
    return ", ".join(differing) or None


def report_cell(value: str) -> str:
    """A report cell a spreadsheet will not run as a formula."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MiB"


def plural(items: list) -> str:
    return "" if len(items) == 1 else "s"
