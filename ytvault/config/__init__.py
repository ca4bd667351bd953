"""Settings: the config schema, its TOML loading and checks, and the analysis's sections.

Below every stage: imports only `ytvault.errors` (and pydantic, lazily, for a sections model).
"""
