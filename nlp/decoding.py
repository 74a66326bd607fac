"""Decoding of input bytes: UTF-8 (with or without BOM), UTF-16 (with or without BOM), CP949/EUC-KR;
binary data (NUL bytes anywhere) refused with one line."""

from __future__ import annotations

from .errors import InputError, display_path


def decode_bytes(data: bytes, name: str = "<input>") -> tuple[str, str]:
    """Decode bytes as UTF-8 (with or without BOM), UTF-16 with BOM, or CP949/EUC-KR.

    Returns ``(text, encoding)``.  Raises :class:`InputError` for binary data or
    bytes that are neither.

    >>> decode_bytes("미국".encode("cp949"))
    ('미국', 'euc-kr')
    """
    name = display_path(name)
    if data.startswith(b"\xef\xbb\xbf"):
        enc, body = "utf-8-sig", data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise InputError(f"{name}: has a UTF-16 byte-order mark but is not valid UTF-16 ({exc.reason})") from None
    else:
        enc, body = None, data
        utf16 = _utf16_without_bom(body)
        if utf16 is not None:
            return utf16
    nul = body.find(b"\x00")  # anywhere in the file, not only in the first 64 KiB
    if nul >= 0:
        raise InputError(f"{name}: binary file (NUL byte at offset {nul:,}); expected UTF-8, UTF-16 or CP949 text")
    if enc is None:
        try:
            text = body.decode("utf-8")
            enc = "utf-8"
        except UnicodeDecodeError:
            text = None
            for candidate in ("euc-kr", "cp949"):
                try:
                    text = body.decode(candidate)
                    enc = candidate
                    break
                except UnicodeDecodeError:
                    continue
            if text is None:
                raise InputError(f"{name}: not valid UTF-8 and not CP949/EUC-KR text") from None
    else:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(f"{name}: has a UTF-8 byte-order mark but is not valid UTF-8") from None
    controls = sum(1 for c in text[:65536] if ord(c) < 32 and c not in "\t\n\r\f")
    if controls > max(8, len(text[:65536]) // 100):
        raise InputError(f"{name}: binary file ({controls} control characters in the first 64 KiB); expected text")
    return text, enc


def _utf16_without_bom(body: bytes) -> tuple[str, str] | None:
    """UTF-16 text without a byte-order mark, told from binary data by what it decodes to.

    Only tried when the bytes hold NULs (ASCII in UTF-16 has one per character).  The
    decoding wins whose characters are mostly plausible prose (Hangul, ASCII, common
    punctuation and spaces) and has no control characters.
    """
    head = body[:65536]
    if len(body) < 2 or len(body) % 2 or b"\x00" not in head:
        return None
    best = None
    for enc in ("utf-16-le", "utf-16-be"):
        try:
            text = head.decode(enc)
        except UnicodeDecodeError:
            continue
        if not text or any(ord(c) < 32 and c not in "\t\n\r\f" for c in text):
            continue
        plausible = sum(1 for c in text if c.isascii() or "\uac00" <= c <= "\ud7a3" or c in _PLAUSIBLE)
        share = plausible / len(text)
        if share >= 0.9 and (best is None or share > best[0]):
            best = (share, enc)
    if best is None:
        return None
    try:
        return body.decode(best[1]), best[1]
    except UnicodeDecodeError:
        return None


_PLAUSIBLE = frozenset("\u3000·‘’“”…「」『』《》〈〉、。，．？！（）ㆍ○●□■※▶–—")
