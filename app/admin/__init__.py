"""The admin area: the pages the platform's admins run the marketplace from.

Views, forms, templates and the guard only; the rules live in the contexts. This issue brings
the merchant applications list; the full admin area builds on the same blueprint and base.
"""
