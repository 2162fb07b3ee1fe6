"""Cart: what a shopper means to buy, kept in Redis and re-checked against the catalog."""
