"""Claude, the outside service: the only place that imports anthropic (claude.py), the prompt,
long transcripts in parts, the quote check, and the pace of API calls.

May import `ytvault.vault` and below; never `ytvault.youtube` (its peer) or a higher layer.
"""
