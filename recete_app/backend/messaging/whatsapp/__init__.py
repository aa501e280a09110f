"""WhatsApp Cloud API (Meta Graph API) adapter: the send client, its error tree and the webhook
payload parser. No database and no business rules here: callers decide what to retry."""
