"""Write the tiny test images beside the releases that use them: python tests/data/releases/images/make_images.py

kit/logo.png   a 276 x 80 PNG logo (honey stripes in a dark frame), written with zlib alone
kit/dot.gif    a 1 x 1 GIF, the smallest real GIF
kit/fake.png   text with a .png name, which must be refused as not an image
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

KIT = Path(__file__).parent / "kit"


def png(width: int, height: int, pixel: object) -> bytes:
    """An 8-bit RGB PNG whose colour at (x, y) is ``pixel(x, y)``."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\0" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(height))  # type: ignore[operator]
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def logo(x: int, y: int) -> tuple[int, int, int]:
    if x < 6 or y < 6 or x >= 270 or y >= 74:
        return (61, 40, 10)  # dark brown frame
    return (242, 176, 30) if (x + y) // 12 % 2 else (250, 214, 120)  # honey stripes


def main() -> None:
    KIT.mkdir(exist_ok=True)
    (KIT / "logo.png").write_bytes(png(276, 80, logo))
    (KIT / "dot.gif").write_bytes(
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    )
    (KIT / "fake.png").write_text("This is not a picture, whatever its name says.\n", encoding="utf-8")


if __name__ == "__main__":
    main()
