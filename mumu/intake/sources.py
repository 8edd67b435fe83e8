"""From what a user typed (files, folders, globs) to the recordings to process."""

from __future__ import annotations

import glob
import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote, unquote_to_bytes

from pydantic import ByteSize, SecretStr

from mumu.errors import BadInput
from mumu.intake.download import is_url, redact_url
from mumu.setting_groups import IntakeConfig

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
Source = str | SecretStr
"""A source as flows take it: a path or URL, or a URL with credentials kept secret, which
Prefect stores and shows as ``**********``."""
HASH_CHUNK_BYTES = 1 << 20
FILE_URI = "file://"


def protect(source: str) -> Source:
    """A URL with a password or a query (tokens) travels as a secret."""
    return SecretStr(source) if is_url(source) and redact_url(source) != source else source


def reveal(source: Source) -> str:
    return source.get_secret_value() if isinstance(source, SecretStr) else source


def shown(source: Source) -> str:
    """The source as it is stored, printed and logged: without its credentials."""
    value = reveal(source)
    return redact_url(value) if is_url(value) else value


def expand(paths: Sequence[Source]) -> list[Source]:
    """Files as given, folders searched recursively for audio, globs expanded.

    A path that does not exist, or cannot be looked at, is kept (so it is reported as
    failed rather than silently dropped), and so is a folder inside that cannot be read.
    Links to folders are not followed, so a link loop cannot make a search endless.
    Every source comes back ``portable``.
    """
    sources: list[Source] = []
    for raw in paths:
        if isinstance(raw, SecretStr) or is_url(raw):
            sources.append(raw)
            continue
        path = local_path(raw)
        try:
            kind = "folder" if path.is_dir() else "file" if path.exists() else "missing"
        except OSError:  # a folder on the way that cannot be read: ingest says so
            kind = "file"
        if kind == "folder":
            sources += _audio_in(path)
        elif kind == "missing" and glob.has_magic(raw):
            matches = _glob(path)
            sources += expand([str(match) for match in matches]) if matches else [raw]
        else:
            sources.append(str(path))
    unique: dict[str, Source] = {}
    for source in sources:
        unique.setdefault(reveal(source), source)
    return [s if isinstance(s, SecretStr) else portable(s) for s in unique.values()]


def _audio_in(folder: Path) -> list[str]:
    found: list[str] = []
    unreadable: list[str] = []
    for top, _folders, files in os.walk(folder, onerror=lambda e: unreadable.append(e.filename)):
        found += [
            os.path.join(top, name)
            for name in files
            if Path(name).suffix.lower() in AUDIO_EXTENSIONS
        ]
    return sorted(found) + sorted(unreadable)


def _glob(pattern: Path) -> list[Path]:
    """pathlib's glob, which does not follow links to folders (``glob.glob`` does)."""
    parts = pattern.parts
    first_magic = next(i for i, part in enumerate(parts) if glob.has_magic(part))
    base = Path(*parts[:first_magic]) if first_magic else Path(".")
    return sorted(base.glob(str(Path(*parts[first_magic:]))))


def portable(path: str) -> str:
    """A path as a source every layer can carry (JSON, Postgres, Prefect, a terminal).

    File names are bytes: one that is not UTF-8 becomes a ``file://`` URI with its bytes
    percent-encoded (RFC 8089), which ``local_path`` turns back into the same path.
    """
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return FILE_URI + quote(os.fsencode(path))
    return path


def local_path(source: str) -> Path:
    if source.startswith(FILE_URI):
        return Path(os.fsdecode(unquote_to_bytes(source.removeprefix(FILE_URI))))
    return Path(source).expanduser()


def open_recording(source: str, intake: IntakeConfig) -> tuple[Path, str, int]:
    """Resolve and check a source; its path, the sha256 of its content and its size.

    The path is resolved (symlinks and ``..`` followed) before it is checked against the
    ingest roots, so neither can lead outside them. mumu's own download folder counts as
    a root, for recordings fetched from URLs.
    """
    path = local_path(source)
    try:
        if not path.exists():
            raise BadInput("file not found")
        path = path.resolve()
    except PermissionError:
        raise BadInput("permission denied: a folder on its path cannot be read") from None
    roots = [root.expanduser().resolve() for root in intake.ingest_roots]
    if roots:
        roots.append(intake.downloads_dir.resolve())
    if roots and not any(path.is_relative_to(root) for root in roots):
        raise BadInput("refused: the file is outside the allowed ingest roots")
    if path.is_dir() and not os.access(path, os.R_OK | os.X_OK):
        raise BadInput("permission denied: the folder cannot be read")
    if not path.is_file():
        raise BadInput("not a regular file")
    try:
        size = path.stat().st_size
        if size == 0:
            raise BadInput("empty file (0 bytes)")
        if size > intake.max_file_size:
            raise BadInput(
                f"too large: {ByteSize(size).human_readable()} is over the "
                f"{intake.max_file_size.human_readable()} limit"
            )
        sha256 = content_hash(path)
    except PermissionError:
        raise BadInput("permission denied") from None
    except OSError as exc:
        raise BadInput(f"cannot read file: {exc.strerror or exc}") from None
    return path, sha256, size


def content_hash(path: Path) -> str:
    """The sha256 of a file's content: a recording's identity."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()
