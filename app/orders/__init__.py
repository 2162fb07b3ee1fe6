"""Orders: what shoppers bought, split into one fulfilment per merchant, with a status timeline."""
