"""The error hierarchy. Every message says what happened and, where there is one, the fix.

The CLI turns these into one line and an exit code; the pipeline records them per note and
goes on with the next one. Nothing here imports anything heavy.
"""

from __future__ import annotations


class YtvaultError(Exception):
    """Base class: an expected failure whose message is meant for the person."""


class ConfigError(YtvaultError):
    """The configuration or the command line is wrong (exit code 2)."""


class NoteSkipped(YtvaultError):
    """A note that looks like a stub cannot be processed safely; it is left untouched."""


# Why a note was passed over when the run stopped (SIGTERM, Ctrl-C) before its turn or its
# write: said the same way wherever a stage notices it.
STOPPING = "ytvault is stopping: the note was left as it was"


class FetchError(YtvaultError):
    """Fetching from YouTube failed."""


class TransientError(FetchError):
    """Worth retrying later: network trouble, rate limits, bot checks, IP blocks, offline."""


class YouTubeUnreachable(TransientError):
    """YouTube could not be reached at all (no network, no name resolution, a proxy that
    refuses): after a few in a row, a run stops rather than wait out every note's turn."""


class PermanentError(FetchError):
    """Retrying will not help: private, removed, members-only, age-restricted videos."""


class AnalysisError(YtvaultError):
    """The model call failed in a way that retrying this note now will not fix."""


class AnalysisTransientError(AnalysisError):
    """The model API is overloaded, rate limited or unreachable: retry the note later."""


class AnalysisAuthError(AnalysisError):
    """The API key was refused: no note can be analysed until the key is fixed."""


class AnalysisDeferred(YtvaultError):
    """The analysis goes into a Message Batch (`sync --batch`): the note waits for its result."""


class MissingApiKey(AnalysisError):
    """No API key is set: notes get their properties and thumbnail, the analysis waits."""


class NoTranscript(PermanentError):
    """The video has no transcript ytvault may use: no captions, or none in the wanted languages.

    YouTube's own answer about the video, so no other way of fetching is tried.
    """
