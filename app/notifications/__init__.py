"""Notifications: email messages rendered from templates and the senders that deliver them."""
