"""Store connections: every source is normalised into one OrderEvent shape."""
