"""Checkout: contact and address, shipping per merchant, promo codes, tax, review, place order."""
