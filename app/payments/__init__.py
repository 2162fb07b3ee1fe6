"""Payments: a gateway interface (Stripe, built-in test gateway), payments, refunds, webhooks."""
