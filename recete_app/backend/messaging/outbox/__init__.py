"""The outbound message queue (`scheduled_messages`): every message Recete sends leaves through it,
exactly once. Composing what only another package knows (a journey step) is that package's: it
passes the sender a `composing.Composer`."""
