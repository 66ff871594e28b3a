"""An image to upload, and what uploads leave behind."""

import os
import struct
import zlib


def png_bytes(note: str = "") -> bytes:
    """A real 1×1 PNG; a ``note`` (a text chunk) makes its bytes, and so its stored name,
    its own."""
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xb0\x8d\x57")
    text = chunk(b"tEXt", b"Comment\x00" + note.encode()) if note else b""
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + text + chunk(b"IDAT", pixels)
            + chunk(b"IEND", b""))


def uploads(app) -> set[str]:
    folder = app.config["UPLOAD_FOLDER"]
    return set(os.listdir(folder)) if os.path.isdir(folder) else set()
