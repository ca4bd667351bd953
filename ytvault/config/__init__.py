"""Settings: the config schema, its TOML loading (and parsed copy) and checks, the per-user
folders, and the analysis's sections.

Below every stage: imports only `ytvault.errors` and the version (and, lazily, pydantic for a
sections model, platformdirs off Linux, tomllib for a changed config file).
"""
