"""Reading product pages from the web: a fetcher that is safe to point at anything, and
extraction of a product's sections from what it fetched."""
