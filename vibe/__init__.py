"""Vibe analysis: a language model describes what the audio analysis measured.

`client` talks to any OpenAI-compatible endpoint, `schema` builds the prompt and
checks the answer, `budget` reserves and records every call's cost, `service`
ties them to a sample, and `tasks` runs descriptions in the background.
"""
