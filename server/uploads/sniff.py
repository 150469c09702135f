"""What a file is, from its first bytes (never the client's Content-Type), and whether
Meta's Send API takes it (PLATFORM.md, "Attachment types and size limits"): images png,
jpeg or gif up to 8 MB; audio aac, m4a or wav up to 25 MB; video mp4, mov, webm, ogg or
avi up to 25 MB. Anything else is a 415 that names what was found; a file over its kind's
limit is a 413 that names the limit.
"""

from __future__ import annotations

from dataclasses import dataclass

from wazify.lib.errors import Invalid, TooLarge, UnsupportedMediaType

MB = 1024 * 1024
LIMITS = {"image": 8 * MB, "video": 25 * MB, "audio": 25 * MB}
MAX_UPLOAD = max(LIMITS.values())
HEAD = 16  # bytes enough to tell every accepted format apart


@dataclass(frozen=True)
class Sniffed:
    kind: str  # image, video or audio: the Send API's attachment type
    content_type: str
    extension: str


PNG = Sniffed("image", "image/png", "png")
JPEG = Sniffed("image", "image/jpeg", "jpg")
GIF = Sniffed("image", "image/gif", "gif")
WEBM = Sniffed("video", "video/webm", "webm")
OGG = Sniffed("video", "video/ogg", "ogg")
AVI = Sniffed("video", "video/x-msvideo", "avi")
WAV = Sniffed("audio", "audio/wav", "wav")
AAC = Sniffed("audio", "audio/aac", "aac")
M4A = Sniffed("audio", "audio/mp4", "m4a")
MOV = Sniffed("video", "video/quicktime", "mov")
MP4 = Sniffed("video", "video/mp4", "mp4")
# ISO base media brands that are audio only (an .m4a); every other brand is a video.
AUDIO_BRANDS = (b"M4A ", b"M4B ", b"F4A ")


def sniff(head: bytes) -> Sniffed | None:
    """The format of a file from its first HEAD bytes, or None for anything else."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return WEBM
    if head.startswith(b"OggS"):
        return OGG
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return AVI
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return WAV
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in AUDIO_BRANDS:
            return M4A
        return MOV if brand == b"qt  " else MP4
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        return AAC  # an ADTS frame header (12 sync bits, layer 0)
    return None


def check_upload(data: bytes) -> Sniffed:
    """The file's format if Meta takes it at its size; otherwise the 4xx saying why."""
    if not data:
        raise Invalid("the file is empty", field="file", code="empty_file")
    found = sniff(data[:HEAD])
    if found is None:
        raise UnsupportedMediaType(
            "this file is not an image (png, jpeg, gif), a video (mp4, mov, webm, ogg, avi)"
            " or an audio file (aac, m4a, wav): Instagram cannot send it",
            field="file",
        )
    limit = LIMITS[found.kind]
    if len(data) > limit:
        raise TooLarge(
            f"this {found.kind} ({found.extension}) is {len(data) / MB:.1f} MB;"
            f" Instagram takes {found.kind}s up to {limit // MB} MB",
            field="file",
        )
    return found
