#!/usr/bin/env python3
"""Reads an 8-bit RGB/RGBA PNG with only zlib and numpy (no imaging library on CI).

Used by screenshot_report.sh: `png_pixels.py check FILE MIN_COLOURS` exits non-zero when the
image has fewer distinct colours than MIN_COLOURS (a blank or near-blank page), and
`png_pixels.py crop FILE TOP HEIGHT OUT` writes a horizontal band, for looking at a tall
screenshot piece by piece, and `png_pixels.py content-height FILE` prints how many rows from the top
hold the page (the rows below, down to the bottom, are all the page's background colour): the
rendered height of a page shot in a window taller than it.
"""
import struct
import sys
import zlib

import numpy as np


def read_png(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit(f"{path}: not a PNG file")
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + length
    if header is None:
        raise SystemExit(f"{path}: PNG without IHDR")
    width, height, depth, colour, _, _, interlace = header
    channels = {2: 3, 6: 4}.get(colour)
    if depth != 8 or channels is None or interlace != 0:
        raise SystemExit(f"{path}: only 8-bit non-interlaced RGB/RGBA PNGs are supported")
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), dtype=np.uint8)
    stride = width * channels
    rows = raw.reshape(height, stride + 1)
    out = np.zeros((height, stride), dtype=np.uint8)
    previous = np.zeros(stride, dtype=np.int32)
    for y in range(height):
        kind, line = rows[y, 0], rows[y, 1:].astype(np.int32)
        if kind == 0:
            current = line
        elif kind == 2:
            current = (line + previous) & 0xFF
        elif kind == 1:
            # Sub: each byte adds the one a pixel to its left, i.e. a running sum per channel.
            current = (np.cumsum(line.reshape(width, channels), axis=0) & 0xFF).reshape(stride)
        else:
            # Average and Paeth depend on the decoded left neighbour: byte by byte, on Python ints.
            cur, up, raw_line = [0] * stride, previous.tolist(), line.tolist()
            for x in range(stride):
                a = cur[x - channels] if x >= channels else 0
                b = up[x]
                if kind == 3:
                    predictor = (a + b) >> 1
                else:
                    c = up[x - channels] if x >= channels else 0
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    predictor = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                cur[x] = (raw_line[x] + predictor) & 0xFF
            current = np.array(cur, dtype=np.int32)
        out[y] = current
        previous = current
    return out.reshape(height, width, channels)[:, :, :3]


def write_png(path, pixels):
    height, width, _ = pixels.shape
    raw = b"".join(b"\x00" + pixels[y].tobytes() for y in range(height))

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "check":
        pixels = read_png(sys.argv[2])
        flat = pixels.reshape(-1, 3).astype(np.uint32)
        _, counts = np.unique((flat[:, 0] << 16) | (flat[:, 1] << 8) | flat[:, 2], return_counts=True)
        colours, background = len(counts), counts.max() / len(flat)
        print(f"{sys.argv[2]}: {pixels.shape[1]}x{pixels.shape[0]}, {colours} distinct colours, "
              f"{100 * (1 - background):.1f}% of pixels differ from the most common colour")
        if colours < int(sys.argv[3]):
            raise SystemExit(f"{sys.argv[2]}: only {colours} distinct colours; the page rendered blank or nearly")
    elif len(sys.argv) == 6 and sys.argv[1] == "crop":
        pixels = read_png(sys.argv[2])
        top, height = int(sys.argv[3]), int(sys.argv[4])
        write_png(sys.argv[5], np.ascontiguousarray(pixels[top:top + height]))
    elif len(sys.argv) == 3 and sys.argv[1] == "content-height":
        pixels = read_png(sys.argv[2])
        background = pixels[-1, -1]
        differs = np.nonzero((pixels != background).any(axis=2).any(axis=1))[0]
        print(int(differs[-1]) + 1 if len(differs) else 0)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
