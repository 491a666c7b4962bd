"""The blob encoding of Schema/FORMAT.md (codec v2): header, LZ4 block, CRC-32, byte-shuffle filter, q8_0.

    header: b"PLB1", dtype u8, rank u8, filter u8, 0 u8, rank x u64 dims, u64 uncompressed bytes
    body:   one raw LZ4 block of the (filtered) element bytes, then u32 CRC-32 of the unfiltered bytes

dtype 1..5 = f16, f32, f64, i64, i32; 6 = q8_0 (GGUF blocks of 32: f16 scale d, 32 x int8 q, value = d*q,
decoded as float32). filter 0 = none, 1 = byte-shuffle (all first bytes of the elements, then all second bytes...).
"""
import struct
import zlib

import lz4.block
import numpy as np

MAGIC = b"PLB1"
DTYPES = {1: "f16", 2: "f32", 3: "f64", 4: "i64", 5: "i32", 6: "q8_0"}
CODES = {name: code for code, name in DTYPES.items()}
NUMPY = {"f16": "<f2", "f32": "<f4", "f64": "<f8", "i64": "<i8", "i32": "<i4"}
FILTERS = {0: "none", 1: "shuffle"}
Q8_BLOCK = 32
Q8_BLOCK_BYTES = 34  # f16 scale + 32 int8


class BlobError(ValueError):
    """A blob that does not follow FORMAT.md; the message names what is wrong."""


class Header:
    """dtype name, shape tuple, filter name, uncompressed byte count and where the LZ4 block starts."""

    __slots__ = ("dtype", "shape", "filter", "raw_size", "offset")

    def __init__(self, dtype, shape, filter, raw_size, offset):
        self.dtype, self.shape, self.filter, self.raw_size, self.offset = dtype, shape, filter, raw_size, offset

    @property
    def count(self):
        n = 1
        for d in self.shape:
            n *= d
        return n

    def __repr__(self):
        return "<%s %s>" % (self.dtype, list(self.shape))


def header(blob):
    """Reads and checks the header without decompressing."""
    blob = bytes(blob) if not isinstance(blob, (bytes, bytearray, memoryview)) else blob
    if len(blob) < 8 or bytes(blob[:4]) != MAGIC:
        raise BlobError("not a Polylens blob (bad magic)")
    code, rank, filt, zero = blob[4], blob[5], blob[6], blob[7]
    if code not in DTYPES:
        raise BlobError("unknown dtype %d" % code)
    if filt not in FILTERS:
        raise BlobError("unknown filter %d" % filt)
    if zero != 0:
        raise BlobError("reserved header byte 7 is %d, not 0" % zero)
    if len(blob) < 20 + 8 * rank:
        raise BlobError("truncated blob (%d bytes for rank %d)" % (len(blob), rank))
    shape = struct.unpack_from("<%dQ" % rank, blob, 8)
    (size,) = struct.unpack_from("<Q", blob, 8 + 8 * rank)
    h = Header(DTYPES[code], tuple(shape), FILTERS[filt], size, 16 + 8 * rank)
    if h.dtype == "q8_0":
        if filt != 0:
            raise BlobError("q8_0 blobs take no filter (filter %d)" % filt)
        expected = -(-h.count // Q8_BLOCK) * Q8_BLOCK_BYTES
    else:
        expected = h.count * np.dtype(NUMPY[h.dtype]).itemsize
    if size != expected:
        raise BlobError("uncompressed size %d does not match %s %s (%d bytes)" % (size, h.dtype, list(shape), expected))
    return h


def decode(blob):
    """A numpy array (little-endian; q8_0 as float32) of the blob's shape. Raises BlobError on any defect."""
    h = header(blob)
    body = bytes(blob[h.offset:len(blob) - 4])
    try:
        stored = lz4.block.decompress(body, uncompressed_size=h.raw_size) if h.raw_size else b""
    except lz4.block.LZ4BlockError as e:
        raise BlobError("LZ4 block does not decompress: %s" % e) from None
    if len(stored) != h.raw_size:
        raise BlobError("LZ4 block holds %d bytes, header says %d" % (len(stored), h.raw_size))
    width = 1 if h.dtype == "q8_0" else np.dtype(NUMPY[h.dtype]).itemsize
    raw = unshuffle(stored, width) if h.filter == "shuffle" else stored
    (crc,) = struct.unpack_from("<I", blob, len(blob) - 4)
    if zlib.crc32(raw) != crc:
        raise BlobError("CRC mismatch (stored %08x, computed %08x)" % (crc, zlib.crc32(raw)))
    if h.dtype == "q8_0":
        return dequantize_q8_0(raw, h.count).reshape(h.shape)
    return np.frombuffer(raw, dtype=NUMPY[h.dtype]).reshape(h.shape)


def encode(array, dtype=None, filter="none"):
    """The blob of `array` (any shape; rank 0 is stored as rank 0). dtype: f16/f32/f64/i64/i32/q8_0, default from
    the array's own type; filter: "none" or "shuffle" (not for q8_0)."""
    array = np.asarray(array)
    if dtype is None:
        dtype = {"f2": "f16", "f4": "f32", "f8": "f64", "i8": "i64", "i4": "i32"}.get(array.dtype.str[1:])
        if dtype is None:
            raise BlobError("no blob dtype for numpy %s; pass dtype=" % array.dtype)
    if dtype not in CODES:
        raise BlobError("unknown dtype %r" % (dtype,))
    if filter not in CODES_FILTER:
        raise BlobError("unknown filter %r" % (filter,))
    if dtype == "q8_0":
        if filter != "none":
            raise BlobError("q8_0 blobs take no filter")
        raw = quantize_q8_0(array)
        width = 1
    else:
        raw = np.ascontiguousarray(array, dtype=NUMPY[dtype]).tobytes()
        width = np.dtype(NUMPY[dtype]).itemsize
    stored = shuffle(raw, width) if filter == "shuffle" else raw
    head = MAGIC + struct.pack("<BBBB", CODES[dtype], array.ndim, CODES_FILTER[filter], 0)
    head += struct.pack("<%dQ" % array.ndim, *array.shape) + struct.pack("<Q", len(raw))
    block = lz4.block.compress(stored, store_size=False) if stored else b"\x00"
    return head + block + struct.pack("<I", zlib.crc32(raw))


CODES_FILTER = {name: code for code, name in FILTERS.items()}


def shuffle(raw, width):
    """stored[k*n + i] = raw[i*w + k]: all first bytes of the n elements, then all second bytes, ..."""
    if width == 1 or not raw:
        return bytes(raw)
    return np.frombuffer(raw, np.uint8).reshape(-1, width).T.tobytes()


def unshuffle(stored, width):
    if width == 1 or not stored:
        return bytes(stored)
    return np.frombuffer(stored, np.uint8).reshape(width, -1).T.tobytes()


def quantize_q8_0(values):
    """GGML's quantize_row_q8_0_ref over the flattened values: per block of 32, d = amax / 127 (float32), stored
    as f16, q = roundf(x / d) with the float32 d; the last block is zero-padded."""
    x = np.asarray(values, dtype=np.float32).ravel()
    if not np.all(np.isfinite(x)):
        raise BlobError("q8_0 cannot store non-finite values")
    blocks = -(-x.size // Q8_BLOCK)
    padded = np.zeros(blocks * Q8_BLOCK, np.float32)
    padded[:x.size] = x
    padded = padded.reshape(blocks, Q8_BLOCK)
    d = (np.abs(padded).max(axis=1) / np.float32(127)).astype(np.float32)
    inverse = np.divide(np.float32(1), d, out=np.zeros_like(d), where=d != 0)
    scaled = padded * inverse[:, None]
    q = (np.sign(scaled) * np.floor(np.abs(scaled) + np.float32(0.5))).astype(np.int8)  # roundf: half away from 0
    out = np.empty((blocks, Q8_BLOCK_BYTES), np.uint8)
    out[:, :2] = d.astype("<f2").view(np.uint8).reshape(blocks, 2)
    out[:, 2:] = q.view(np.uint8)
    return out.tobytes()


def dequantize_q8_0(raw, count):
    blocks = np.frombuffer(raw, np.uint8).reshape(-1, Q8_BLOCK_BYTES)
    d = blocks[:, :2].copy().view("<f2").astype(np.float32)
    if not np.all(np.isfinite(d)):
        raise BlobError("q8_0 block %d has a non-finite scale" % int(np.argmin(np.isfinite(d.ravel()))))
    q = blocks[:, 2:].view(np.int8).astype(np.float32)
    return (d * q).ravel()[:count]


def describe(blob):
    """`<f16 [5, 192]>` for a blob, how `polylens sql` prints blobs in tables; `<blob N bytes>` if not a Polylens blob."""
    try:
        h = header(blob)
    except BlobError:
        return "<blob %d bytes>" % len(blob)
    return "<%s [%s]>" % (h.dtype, ", ".join(str(d) for d in h.shape))
