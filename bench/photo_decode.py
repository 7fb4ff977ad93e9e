"""Peak memory of one photo decode: the figure behind the photo limits (``services/notes/photos``).

Each case runs ``photos.process`` in a fresh subprocess and reads the peak resident set size
(``ru_maxrss``) before and after; the difference is what one decode costs. Pillow allocates
image memory with plain ``malloc``, so ``tracemalloc`` would not see it.

    python bench/photo_decode.py            # all-zero PNGs at the pixel cap and at 6300×6300
    python bench/photo_decode.py --alpha    # the same with an alpha channel (the worst mode)

Prints one JSON line per case: width, height, mode, file_bytes, outcome, peak_mb, and the worst case
for the whole process: peak_mb × photos.DECODES.
"""

from __future__ import annotations

import argparse
import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def zero_png(width: int, height: int, *, alpha: bool = False) -> bytes:
    """An all-zero RGB (or RGBA) PNG, compressed to almost nothing: a decompression bomb."""
    row = b"\x00" * (1 + (4 if alpha else 3) * width)  # filter byte, then the pixels
    packer = zlib.compressobj(9)
    raw = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 6 if alpha else 2, 0, 0, 0)
    chunks = _chunk(b"IHDR", header) + _chunk(b"IDAT", raw) + _chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


CHILD = """
import resource, sys
from app.errors import DomainError
from app.services.notes import photos
data = sys.stdin.buffer.read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    photos.process(data)
    outcome = "stored"
except DomainError as error:
    outcome = "refused: " + error.message
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(outcome)
print((after - before) / 1024)
"""


def measure(width: int, height: int, *, alpha: bool) -> dict[str, object]:
    data = zero_png(width, height, alpha=alpha)
    done = subprocess.run(
        [sys.executable, "-c", CHILD], input=data, capture_output=True, check=True, cwd=ROOT
    )
    outcome, peak = done.stdout.decode().strip().splitlines()[-2:]
    return {
        "width": width,
        "height": height,
        "mode": "RGBA" if alpha else "RGB",
        "file_bytes": len(data),
        "outcome": outcome,
        "peak_mb": round(float(peak), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="*", default=["6000x4000", "6300x6300"])
    parser.add_argument("--alpha", action="store_true", help="RGBA PNGs (4 bytes a pixel)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from app.services.notes import photos

    for size in args.sizes:
        width, height = (int(part) for part in size.split("x"))
        result = measure(width, height, alpha=args.alpha)
        result["decodes_at_once"] = photos.DECODES
        result["worst_case_mb"] = round(float(result["peak_mb"]) * photos.DECODES, 1)  # type: ignore[arg-type]
        print(json.dumps(result))


if __name__ == "__main__":
    main()
