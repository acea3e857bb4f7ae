#!/usr/bin/env python3
"""Reads a PNG screenshot (8-bit greyscale, RGB or RGBA, not interlaced, as
Chromium writes them) with the standard library only and prints, as one JSON
object, what a test needs to tell a rendered page from a blank one:

  {"width": W, "height": H, "colors": N, "non_white": F, "red": R}

colors: distinct colours; non_white: the share of pixels that are not near
white; red: pixels that are clearly red (the report marks failures in red).

  png_stats.py FILE
"""
import json
import struct
import sys
import zlib


def rows(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit("not a PNG")
    offset, idat, header = 8, b"", None
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        chunk = data[offset + 8:offset + 8 + length]
        offset += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        elif kind == b"IEND":
            break
    width, height, depth, color, _, _, interlace = header
    channels = {0: 1, 2: 3, 6: 4}.get(color)
    if depth != 8 or channels is None or interlace:
        raise SystemExit(f"unsupported PNG: depth {depth}, colour type {color}, interlace {interlace}")
    raw = zlib.decompress(idat)
    stride = width * channels
    previous = bytearray(stride)
    position = 0
    for _ in range(height):
        kind = raw[position]
        line = bytearray(raw[position + 1:position + 1 + stride])
        position += 1 + stride
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + ((left + up) >> 1)) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                predictor = left if pa <= pb and pa <= pc else (up if pb <= pc else corner)
                line[i] = (line[i] + predictor) & 0xFF
        previous = line
        yield width, height, channels, line


def main():
    colors, non_white, red, total = set(), 0, 0, 0
    width = height = 0
    for width, height, channels, line in rows(sys.argv[1]):
        for x in range(0, len(line), channels):
            pixel = tuple(line[x:x + 3]) if channels >= 3 else (line[x],) * 3
            colors.add(pixel)
            total += 1
            r, g, b = pixel
            if min(pixel) < 240:
                non_white += 1
            if r > 150 and g < 90 and b < 90:
                red += 1
    print(json.dumps({"width": width, "height": height, "colors": len(colors),
                      "non_white": non_white / total if total else 0, "red": red}))


if __name__ == "__main__":
    main()
