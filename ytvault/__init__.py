"""ytvault: YouTube URLs pasted into Obsidian notes become full video notes."""

__version__ = "0.1.0"
