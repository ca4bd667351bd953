"""What a thumbnail must be: a JPEG, PNG or WebP image of a thumbnail's size. Checked when it is
fetched (client.py) and when the cache gives it back (cache.py): neither an HTML page served
with 200 nor a huge file is copied into the vault."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    import requests

# A YouTube thumbnail is tens or hundreds of KB (maxresdefault: 1280x720); a file far bigger
# than any is not one.
MAX_THUMBNAIL_BYTES: Final = 8 * 1024 * 1024
_IMAGE_MAGIC: Final = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")


def is_image(data: bytes) -> bool:
    """Whether `data` is a JPEG, PNG or WebP image no larger than a thumbnail can be."""
    webp = data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    return 0 < len(data) <= MAX_THUMBNAIL_BYTES and (webp or data.startswith(_IMAGE_MAGIC))


def jpeg_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a JPEG's start-of-frame marker, None if it has none."""
    at = 2
    while data.startswith(b"\xff\xd8", 0) and at + 9 <= len(data) and data[at] == 0xFF:
        marker, length = data[at + 1], int.from_bytes(data[at + 2:at + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            return int.from_bytes(data[at + 7:at + 9], "big"), int.from_bytes(
                data[at + 5:at + 7], "big")
        at += 2 + length
    return None


def read_at_most(response: requests.Response, limit: int) -> bytes:
    """A streamed response's body, or a byte more than `limit` of it when it is longer: a
    thumbnail that is not one is not downloaded whole."""
    data = bytearray()
    for chunk in response.iter_content(64 * 1024):
        data += chunk
        if len(data) > limit:
            break
    return bytes(data)
