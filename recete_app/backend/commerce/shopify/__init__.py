"""Shopify: webhooks (orders, fulfilments, refunds, products, privacy), normalisation."""
