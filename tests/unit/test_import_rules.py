"""The catalogue CSV format without a database: whole-file checks, row checks, attributes."""

from __future__ import annotations

import re

import pytest

from app.catalog import import_rules as rules
from app.catalog.import_rules import FileRefused, RawRow, RowRejected

HEADER = "sku,product_handle,product_name,category,price"


def table(*lines: str, header: str = HEADER) -> rules.CsvTable:
    return rules.read_table(("\n".join([header, *lines]) + "\n").encode())


def parsed(line: str, header: str = HEADER) -> rules.VariantRow:
    csv_table = table(line, header=header)
    return rules.parse_row(csv_table.rows[0], csv_table.columns, "USD")


def rejection(line: str, header: str = HEADER) -> str:
    with pytest.raises(RowRejected) as caught:
        parsed(line, header)
    return str(caught.value)


def test_rows_keep_their_file_line_numbers_across_quoted_line_breaks_and_blank_lines():
    csv_table = table('A,a,"Two\nlines",mugs,1', "", "B,b,Plain,mugs,2")

    assert [(row.line, row.cells["sku"]) for row in csv_table.rows] == [(2, "A"), (5, "B")]


def test_the_header_is_matched_without_case_or_spaces_and_in_any_order():
    csv_table = table(
        "1.50,mugs,A,Cup,cup", header=" Price ,CATEGORY,sku,Product_Name,product_handle"
    )

    assert csv_table.columns == {"price", "category", "sku", "product_name", "product_handle"}
    assert (
        parsed("1.50,mugs,A,Cup,cup", " Price ,CATEGORY,sku,Product_Name,product_handle").sku == "A"
    )


def test_a_header_naming_a_column_twice_is_refused():
    with pytest.raises(FileRefused, match="repeated column: sku"):
        table("A,a,b,mugs,1,B", header=HEADER + ",sku")


def test_a_utf8_byte_order_mark_is_accepted_and_utf16_is_refused():
    assert rules.decode(b"\xef\xbb\xbfsku") == "sku"
    with pytest.raises(FileRefused, match="UTF-16"):
        rules.decode("sku".encode("utf-16"))


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (b"\xff\xd8\xff\xe0JFIF", "a JPEG image"),
        (b"GIF89a", "a GIF image"),
        (b"PK\x03\x04rest", "a ZIP archive (an Excel .xlsx workbook is one)"),
    ],
)
def test_binary_files_are_named_by_their_signature(content, kind):
    with pytest.raises(FileRefused, match=re.escape(f"it looks like {kind}.")):
        rules.decode(content)


def test_the_size_limit_is_checked_before_anything_else():
    with pytest.raises(
        FileRefused, match=r"The file is 0\.0 MiB; the largest file we import is 0\.0 MiB"
    ):
        rules.read_table(b"\x89PNG" + b"x" * 20, max_bytes=10)


def test_a_full_row_is_read_with_every_column():
    header = ",".join(rules.COLUMNS)
    row = parsed(
        'SKU-1,Linen Shirt,Linen shirt,"Long\ntext",Shirts,Published,Custom,Size,M,Colour,Navy,'
        ',,"1,234.50",1300,250,7,2,"Material=Linen; Care=Wash\\=30\\; cold"',
        header,
    )

    assert (row.sku, row.handle, row.product.category, row.product.status) == (
        "SKU-1",
        "linen-shirt",
        "shirts",
        "published",
    )
    assert row.product.description == "Long\ntext"
    assert (row.name, row.options) == ("Custom", (("Size", "M"), ("Colour", "Navy")))
    assert (row.price_amount, row.compare_at_amount, row.weight_grams) == (123450, 130000, 250)
    assert (row.on_hand, row.low_stock_threshold) == (7, 2)
    assert row.product.attributes == (("Material", "Linen"), ("Care", "Wash=30; cold"))


def test_columns_left_out_of_the_file_are_none_so_the_catalogue_keeps_them():
    row = parsed("A,a,Cup,mugs,2")

    assert (row.product.description, row.product.attributes, row.options) == (None, None, None)
    assert (row.weight_grams, row.on_hand, row.low_stock_threshold, row.name) == (
        None,
        None,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (",a,Cup,mugs,1", "sku is empty."),
        (f"{'X' * 65},a,Cup,mugs,1", "sku is longer than 64 characters."),
        ("A,,Cup,mugs,1", "product_handle is empty."),
        ("A,a,,mugs,1", "product_name is empty."),
        ("A,a,Cup,,1", "category is empty."),
        ("A,a,Cup,mugs,", "price is empty."),
        ("A,a,Cup,mugs,-1", "price '-1' is not a price: write a decimal number such as 19.99."),
        (
            "A,a,Cup,mugs,1.999",
            "price '1.999' is not a price: write a decimal number such as 19.99.",
        ),
        ("A,a,Cup,mugs,1000000.01", "price is more than 1000000.00."),
        ("A,a,Cup,mugs,0.00", "price must be above zero."),
        ("A,a,Cup\x07,mugs,1", "product_name contains a control character."),
        ('A,a,"Cup\nmug",mugs,1', "product_name contains a line break."),
    ],
)
def test_row_problems_are_named(line, reason):
    assert rejection(line) == reason


def test_a_row_with_more_cells_than_columns_is_rejected():
    csv_table = table("A,a,Cup,mugs,1,extra")

    with pytest.raises(RowRejected, match=r"The row has 6 cells but the header names 5 columns\."):
        rules.parse_row(csv_table.rows[0], csv_table.columns, "USD")


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        ("Size,,,", "option1_value is empty but option1_name is 'Size'."),
        (",M,,", "option1_name is empty but option1_value is 'M'."),
        ("Size,M,size,L", "The option 'size' is named twice."),
    ],
)
def test_option_problems_are_named(cells, reason):
    header = HEADER + ",option1_name,option1_value,option2_name,option2_value"

    assert rejection(f"A,a,Cup,mugs,1,{cells}", header) == reason


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        (
            "Material",
            "attributes: 'Material' is not a Name=Value pair (pairs are separated by semicolons).",
        ),
        ("Material=", "attributes: 'Material=' needs a name and a value."),
        ("A=1; a=2", "attributes: 'a' is given twice."),
    ],
)
def test_attribute_problems_are_named(cell, reason):
    assert rejection(f"A,a,Cup,mugs,1,{cell}", HEADER + ",attributes") == reason


def test_attributes_round_trip_through_their_cell():
    pairs = (("Material", "Brass; steel"), ("Bulb", "E27=yes"), ("Path", "C:\\lamps"))

    assert rules.parse_attributes(rules.format_attributes(pairs)) == pairs


def test_a_later_row_may_leave_product_columns_empty_but_not_contradict_them():
    first = rules.ProductFields("Cup", "Text", "mugs", "published", (("A", "1"),))

    assert rules.product_conflict(first, rules.ProductFields("Cup", "", "mugs", None, ())) is None
    assert (
        rules.product_conflict(first, rules.ProductFields("Mug", "Other", "mugs", "draft", ()))
        == "product_name, description, status"
    )


def test_report_cells_never_start_a_formula():
    assert [rules.report_cell(value) for value in ("=SUM(A1)", "+1", "-1", "@x", "ok")] == [
        "'=SUM(A1)",
        "'+1",
        "'-1",
        "'@x",
        "ok",
    ]


def test_the_sample_rows_are_valid_rows():
    columns = frozenset(rules.COLUMNS)
    for line, cells in enumerate(rules.SAMPLE_ROWS, start=2):
        row = RawRow(line, dict(zip(rules.COLUMNS, cells, strict=True)))
        assert rules.parse_row(row, columns, "USD").line == line
