"""YouTube, the outside service: the only place that imports yt-dlp and youtube-transcript-api
(client.py), caption tracks, the on-disk cache of what was fetched (SPEC §3), and the pace of
fetches.

May import `ytvault.vault` and below; never `ytvault.analysis` (its peer) or a higher layer.
"""
