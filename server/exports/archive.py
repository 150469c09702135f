"""The export's zip: JSON Lines entries written as rows come, then the manifest.

Each entry is a zipfile stream opened with `force_zip64` (its size is not known up front and
may pass 4 GiB), so nothing is held but the batch being written; the SHA-256, the row count
and the byte count of each file are taken from the bytes as they go in. Calls are blocking
(zlib's deflate): the exporter makes them from one worker thread, in order.
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path
from typing import IO, Any

import msgspec

# Deflate's fastest level: JSON Lines still shrink about sixfold, at several times the speed
# of the default level (bench/export.py measures the whole export).
COMPRESS_LEVEL = 1
MANIFEST = "manifest.json"


class FileSummary(msgspec.Struct, kw_only=True):
    name: str
    rows: int
    bytes: int
    sha256: str


class ArchiveWriter:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._zip = zipfile.ZipFile(
            path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=COMPRESS_LEVEL
        )
        self._entry: IO[bytes] | None = None
        self._name = ""
        self._hash = hashlib.sha256()
        self._rows = 0
        self._bytes = 0
        self.files: list[FileSummary] = []

    def begin(self, name: str) -> None:
        self._entry = self._zip.open(name, "w", force_zip64=True)
        self._name, self._hash, self._rows, self._bytes = name, hashlib.sha256(), 0, 0

    def write_rows(self, lines: list[str]) -> None:
        """Rows already encoded as JSON (one object each, no newline inside)."""
        if self._entry is None:
            raise RuntimeError("write_rows before begin")
        if not lines:
            return
        data = ("\n".join(lines) + "\n").encode("utf-8")
        self._entry.write(data)
        self._hash.update(data)
        self._rows += len(lines)
        self._bytes += len(data)

    def end(self) -> FileSummary:
        if self._entry is None:
            raise RuntimeError("end before begin")
        self._entry.close()
        self._entry = None
        summary = FileSummary(
            name=self._name, rows=self._rows, bytes=self._bytes, sha256=self._hash.hexdigest()
        )
        self.files.append(summary)
        return summary

    def finish(self, manifest: dict[str, Any]) -> None:
        """Write the manifest (last: it holds every file's count and hash) and close."""
        self._zip.writestr(MANIFEST, msgspec.json.format(msgspec.json.encode(manifest)))
        self._zip.close()

    def abandon(self) -> None:
        """Close whatever is open and delete the partial file."""
        try:
            if self._entry is not None:
                self._entry.close()
            self._zip.close()
        except (OSError, ValueError, zipfile.BadZipFile):
            pass
        self.path.unlink(missing_ok=True)


def sha256_of(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()
