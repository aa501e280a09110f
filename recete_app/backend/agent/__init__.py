"""The AI agent: intent, retrieval, a grounded reply, guardrails, escalation to a person."""
