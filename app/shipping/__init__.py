"""shipping bounded context: rates for each merchant's shipment (built-in table or Shippo)."""
