"""From what a user typed (files, folders, globs) to the recordings to process."""

from __future__ import annotations

import glob
import hashlib
from pathlib import Path

from mumu.download import is_url
from mumu.errors import BadInput

AUDIO_EXTENSIONS = frozenset(
    {
        ".aac",
        ".aiff",
        ".flac",
        ".m4a",
        ".mka",
        ".mp3",
        ".mp4",
        ".oga",
        ".ogg",
        ".opus",
        ".wav",
        ".webm",
        ".wma",
    }
)
HASH_CHUNK_BYTES = 1 << 20


def expand(paths: list[str]) -> list[str]:
    """Files as given, folders searched recursively for audio, globs expanded.

    A path that does not exist is kept, so it is reported as failed rather than
    silently dropped.
    """
    sources: list[str] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if is_url(raw):
            sources.append(raw)
        elif path.is_dir():
            sources += sorted(
                str(found)
                for found in path.rglob("*")
                if found.suffix.lower() in AUDIO_EXTENSIONS
                and (found.is_file() or found.is_symlink())
            )
        elif not path.exists() and glob.has_magic(raw):
            matches = sorted(glob.glob(str(path), recursive=True))
            sources += expand(matches) if matches else [raw]
        else:
            sources.append(str(path))
    return list(dict.fromkeys(sources))


def open_recording(source: str) -> tuple[Path, str, int]:
    """Resolve and check a source; its path, the sha256 of its content and its size."""
    path = Path(source).expanduser()
    if not path.exists():
        raise BadInput("file not found")
    if not path.is_file():
        raise BadInput("not a regular file")
    try:
        size = path.stat().st_size
        if size == 0:
            raise BadInput("empty file (0 bytes)")
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            while chunk := handle.read(HASH_CHUNK_BYTES):
                digest.update(chunk)
    except PermissionError:
        raise BadInput("permission denied") from None
    except OSError as exc:
        raise BadInput(f"cannot read file: {exc.strerror or exc}") from None
    return path.resolve(), digest.hexdigest(), size
