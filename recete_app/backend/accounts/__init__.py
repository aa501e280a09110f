"""Merchants' accounts: sign-up, sessions (login/logout), API keys."""
