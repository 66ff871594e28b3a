"""EAN-13 barcodes drawn as PNG images, for a fake camera to film (no imaging library)."""

import base64
import struct
import zlib

_L = ["0001101", "0011001", "0010011", "0111101", "0100011", "0110001", "0101111", "0111011",
      "0110111", "0001011"]
_R = ["".join("1" if b == "0" else "0" for b in code) for code in _L]
_G = [code[::-1] for code in _R]
_PARITY = ["LLLLLL", "LLGLGG", "LLGGLG", "LLGGGL", "LGLLGG", "LGGLLG", "LGGGLL", "LGLGLG",
           "LGLGGL", "LGGLGL"]


def ean13_modules(code: str) -> str:
    """The 95 modules of an EAN-13 ("1" black), guards included."""
    first, left, right = int(code[0]), code[1:7], code[7:]
    bits = "101"
    for parity, digit in zip(_PARITY[first], left, strict=True):
        bits += (_L if parity == "L" else _G)[int(digit)]
    bits += "01010" + "".join(_R[int(d)] for d in right) + "101"
    return bits


def ean13_png(code: str, *, module: int = 4, height: int = 200, quiet: int = 12) -> bytes:
    """A grey-scale PNG of the barcode: black bars on white, a quiet zone each side."""
    bits = "0" * quiet + ean13_modules(code) + "0" * quiet
    row = bytes([0]) + b"".join((b"\x00" if b == "1" else b"\xff") * module for b in bits)
    width = len(bits) * module
    margin = bytes([0]) + b"\xff" * width

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    pixels = zlib.compress(margin * 20 + row * height + margin * 20)
    header = struct.pack(">IIBBBBB", width, height + 40, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels)
            + chunk(b"IEND", b""))


def ean13_data_uri(code: str) -> str:
    return "data:image/png;base64," + base64.b64encode(ean13_png(code)).decode()
