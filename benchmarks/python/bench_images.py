"""The synthetic test pictures of the CLI benchmarks (benchmarks/rl-data-bench.sh, benchmarks/spark-bench.sh):
deterministic 8-bit RGB PNGs written with the standard library only, so no image library is needed to set up."""
import random
import struct
import zlib


def png(path, w, h, seed):
    """A w x h RGB PNG: a colour gradient with per-pixel noise, the same bytes for the same seed."""
    r = random.Random(seed); a, b, c = r.randrange(256), r.randrange(256), r.randrange(256); raw = bytearray()
    for y in range(h):
        raw.append(0)
        for x in range(w): raw += bytes(((a + x * 3 + r.randrange(32)) % 256, (b + y * 5) % 256, (c + x * y) % 256))
    ch = lambda t, d: struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
    open(path, 'wb').write(b'\x89PNG\r\n\x1a\n' + ch(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0)) + ch(b'IDAT', zlib.compress(bytes(raw), 6)) + ch(b'IEND', b''))
