"""Running in the background: the watcher (file events → the pipeline), the one-daemon-per-vault
lock, and the login service that starts it.

May import the pipeline and below; never `ytvault.commands`.
"""
