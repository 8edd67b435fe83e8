"""From what a user typed (files, folders, globs) to the recordings to process."""

from __future__ import annotations

import glob
import hashlib
from pathlib import Path

from pydantic import ByteSize

from mumu.download import is_url
from mumu.errors import BadInput
from mumu.settings import Settings

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


def open_recording(source: str, settings: Settings) -> tuple[Path, str, int]:
    """Resolve and check a source; its path, the sha256 of its content and its size.

    The path is resolved (symlinks and ``..`` followed) before it is checked against the
    ingest roots, so neither can lead outside them. mumu's own download folder counts as
    a root, for recordings fetched from URLs.
    """
    path = Path(source).expanduser()
    if not path.exists():
        raise BadInput("file not found")
    path = path.resolve()
    roots = [root.expanduser().resolve() for root in settings.ingest_roots]
    if roots:
        roots.append((settings.home_dir / "downloads").resolve())
    if roots and not any(path.is_relative_to(root) for root in roots):
        raise BadInput("refused: the file is outside the allowed ingest roots")
    if not path.is_file():
        raise BadInput("not a regular file")
    try:
        size = path.stat().st_size
        if size == 0:
            raise BadInput("empty file (0 bytes)")
        if size > settings.max_file_size:
            raise BadInput(
                f"too large: {ByteSize(size).human_readable()} is over the "
                f"{settings.max_file_size.human_readable()} limit"
            )
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            while chunk := handle.read(HASH_CHUNK_BYTES):
                digest.update(chunk)
    except PermissionError:
        raise BadInput("permission denied") from None
    except OSError as exc:
        raise BadInput(f"cannot read file: {exc.strerror or exc}") from None
    return path, digest.hexdigest(), size
