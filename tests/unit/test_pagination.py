"""Page numbers from untrusted input, and the pager window."""

import pytest

from app.platform.pagination import MAX_PAGE, Page, clamp_page


@pytest.mark.parametrize(
    ("raw", "page"),
    [
        (None, 1),
        ("", 1),
        ("abc", 1),
        ("-3", 1),
        ("0", 1),
        ("7", 7),
        ("9" * 40, MAX_PAGE),
        ("2.5", 1),
    ],
)
def test_clamp_page(raw, page):
    assert clamp_page(raw) == page


def test_page_counts():
    page = Page(items=[], page=2, per_page=24, total=49)
    assert page.pages == 3 and page.has_previous and page.has_next and page.offset == 24
    assert Page(items=[], page=1, per_page=24, total=0).pages == 1


def test_window_marks_gaps():
    assert Page([], 10, 10, 200).window() == [1, None, 8, 9, 10, 11, 12, None, 20]
    assert Page([], 1, 10, 30).window() == [1, 2, 3]
