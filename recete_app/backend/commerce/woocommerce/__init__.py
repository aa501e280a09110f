"""WooCommerce: webhooks (orders, products), REST product import."""
