"""Which file system holds the vault: a network share or a FUSE mount sends no change events
(the watcher polls), and may be shared with other machines no sync tool tells us of (`doctor`
suggests claims)."""

from __future__ import annotations

# File systems whose changes the kernel does not report to us (inotify/FSEvents see only local
# writes): network shares, FUSE mounts, WSL's view of Windows drives.
REMOTE_FS = frozenset({
    "nfs", "nfs4", "cifs", "smbfs", "smb3", "9p", "drvfs", "fuse.sshfs", "fuse.rclone",
    "fuse.gcsfuse", "afpfs", "webdav", "davfs", "fuse.davfs2", "v9fs",
})


def mount_type(path: str, mounts: str = "/proc/mounts") -> str | None:
    """The file-system type of the mount holding `path` (Linux; None elsewhere)."""
    try:
        with open(mounts, encoding="utf-8") as fh:
            table = [line.split()[1:3] for line in fh if len(line.split()) > 2]
    except OSError:
        return None
    best, kind = "", None
    for point, fstype in table:
        point = point.replace("\\040", " ")
        if (path == point or path.startswith(point.rstrip("/") + "/")) and len(point) > len(best):
            best, kind = point, fstype
    return kind
