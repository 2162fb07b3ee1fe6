"""What shoppers are told about stock."""

import pytest

from app.inventory.rules import StockLevel, StockState


@pytest.mark.parametrize(
    ("available", "threshold", "level", "label"),
    [
        (0, 5, StockLevel.OUT, "Out of stock"),
        (-2, 5, StockLevel.OUT, "Out of stock"),
        (3, 5, StockLevel.LOW, "Only 3 left"),
        (5, 5, StockLevel.LOW, "Only 5 left"),
        (6, 5, StockLevel.IN_STOCK, "In stock"),
        (1, 0, StockLevel.IN_STOCK, "In stock"),
    ],
)
def test_stock_state_levels_and_labels(available, threshold, level, label):
    state = StockState(available, threshold)
    assert state.level is level
    assert state.label == label
    assert state.in_stock is (available > 0)
