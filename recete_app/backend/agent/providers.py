"""The responder the settings name: the local composer, or a model behind an OpenAI-compatible
endpoint."""

from __future__ import annotations

import httpx

from recete_app.backend.agent.responders import Responder
from recete_app.backend.config import ConfigurationError, Settings, get_settings


def configured_responder(
    settings: Settings | None = None, transport: httpx.BaseTransport | None = None
) -> Responder:
    """`transport` reaches the openai responder (tests)."""
    settings = settings or get_settings()
    if settings.llm_provider == "local":
        # Imported here: the local composer is its own module, loaded only when chosen.
        from recete_app.backend.agent.local_responder import LocalResponder

        return LocalResponder()
    if settings.openai_api_key is None:
        raise ConfigurationError(
            "RECETE_LLM_PROVIDER=openai needs OPENAI_API_KEY (and OPENAI_BASE_URL for a "
            "compatible server other than OpenAI's)."
        )
    from recete_app.backend.agent.openai_responder import OpenAIResponder

    return OpenAIResponder(
        model=settings.llm_model,
        api_key=settings.openai_api_key.get_secret_value(),
        base_url=settings.openai_base_url,
        transport=transport,
    )
