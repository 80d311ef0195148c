"""Integrations with LLM provider SDKs."""
