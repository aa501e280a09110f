"""The agent's metrics: how long deciding a reply takes, what it decided, why it handed over,
which guardrails fired, and the model's tokens and cost. Labels are bounded: actions, intents,
reason codes and rule names are fixed sets; a model is the deployment's configured one."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from recete_app.backend.agent.pipeline import ESCALATE, Decision

REPLY_SECONDS = Histogram(
    "recete_agent_reply_seconds",
    "From picking up a customer's message to the agent's recorded decision.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 30),
)
DECISIONS = Counter(
    "recete_agent_decisions_total",
    "The agent's decisions, by action (answer, escalate, decline, silent, opt_out) and intent.",
    ["action", "intent"],
)
ESCALATIONS = Counter(
    "recete_agent_escalations_total",
    "Conversations the agent handed to a person, by reason.",
    ["reason"],
)
GUARDRAILS = Counter(
    "recete_agent_guardrail_blocks_total",
    "Guardrails that fired on a customer's message or a draft, by rule.",
    ["rule"],
)
LLM_TOKENS = Counter(
    "recete_llm_tokens_total",
    "Tokens the language model used, by model and kind (prompt, completion).",
    ["model", "kind"],
)
LLM_COST = Counter(
    "recete_llm_cost_usd_total",
    "What the language model's calls cost, in US dollars, by model (the provider's list price).",
    ["model"],
)


def count_decision(decision: Decision, seconds: float) -> None:
    REPLY_SECONDS.observe(seconds)
    DECISIONS.labels(decision.action, decision.intent).inc()
    if decision.action == ESCALATE:
        ESCALATIONS.labels(decision.reason[:40]).inc()
    for flag in decision.flags:
        GUARDRAILS.labels(flag.rule).inc()
    if decision.usage is not None:
        usage = decision.usage
        LLM_TOKENS.labels(usage.model, "prompt").inc(usage.prompt_tokens)
        LLM_TOKENS.labels(usage.model, "completion").inc(usage.completion_tokens)
        LLM_COST.labels(usage.model).inc(usage.cost_usd)
