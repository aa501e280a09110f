"""Webhook intake: every provider's deliveries stored once (sealed), processed in batches by
the handlers the services layer plugs in, swept up again when nobody processed them."""
