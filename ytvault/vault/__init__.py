"""The vault as files on disk: atomic writes, the walk, the scan that finds stubs and its
memory, the index of which notes hold which video, Obsidian's settings, note file names.

May import `ytvault.note` and below; never a service (YouTube, the API) or the pipeline.
"""
