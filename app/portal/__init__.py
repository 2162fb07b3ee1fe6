"""The merchant portal: the pages a shop's staff run it from.

Views, forms, templates and the guard only; the rules live in the contexts (catalog, inventory,
merchants, media, orders), whose service functions take the merchant explicitly.
"""
