"""The blob codec (FORMAT.md, codec v2) on blobs built here byte by byte, independently of the encoder."""
import struct
import zlib

import lz4.block
import numpy as np
import pytest

from polylens import codec


def blob(dtype, shape, stored, logical=None, filt=0, size=None):
    """A blob from its parts: header, LZ4 block of `stored`, CRC-32 of `logical` (default: stored)."""
    logical = stored if logical is None else logical
    head = b"PLB1" + bytes([dtype, len(shape), filt, 0]) + struct.pack("<%dQ" % len(shape), *shape)
    head += struct.pack("<Q", len(stored) if size is None else size)
    body = lz4.block.compress(stored, store_size=False) if stored else b"\x00"
    return head + body + struct.pack("<I", zlib.crc32(logical))


def test_version_one_blob_decodes_as_before():
    raw = struct.pack("<6h", 1, -2, 3, -4, 5, -6)  # not f16 values: raw bytes reinterpreted below
    a = codec.decode(blob(1, [2, 3], raw))
    assert a.dtype == np.dtype("<f2") and a.shape == (2, 3)
    assert a.tobytes() == raw
    i = codec.decode(blob(4, [3], struct.pack("<3q", 7, -1, 1 << 40)))
    assert i.tolist() == [7, -1, 1 << 40]


def test_byte_shuffle_filter_by_hand():
    # i32 [0x04030201, 0x08070605, 0x0C0B0A09]: shuffled = all first bytes, then all second bytes, ...
    values = [0x04030201, 0x08070605, 0x0C0B0A09]
    logical = struct.pack("<3i", *values)
    shuffled = bytes([1, 5, 9, 2, 6, 10, 3, 7, 11, 4, 8, 12])
    assert codec.decode(blob(5, [3], shuffled, logical, filt=1)).tolist() == values
    assert codec.shuffle(logical, 4) == shuffled and codec.unshuffle(shuffled, 4) == logical
    # The encoder writes exactly this blob (LZ4 is deterministic for the same input).
    assert codec.encode(np.array(values, np.int32), filter="shuffle") == blob(5, [3], shuffled, logical, filt=1)
    # The CRC covers the logical bytes: a CRC of the stored bytes is an error.
    with pytest.raises(codec.BlobError, match="CRC"):
        codec.decode(blob(5, [3], shuffled, shuffled, filt=1))


def test_q8_0_by_hand():
    # Two blocks for 40 values: d = 0.5 (f16 0x3800) with q = -16..15, then d = 2 (0x4000), q = 1..8, zero-padded.
    q1 = np.arange(-16, 16, dtype=np.int8)
    q2 = np.zeros(32, np.int8)
    q2[:8] = np.arange(1, 9)
    raw = struct.pack("<H", 0x3800) + q1.tobytes() + struct.pack("<H", 0x4000) + q2.tobytes()
    assert len(raw) == 2 * 34
    a = codec.decode(blob(6, [5, 8], raw))
    assert a.dtype == np.float32 and a.shape == (5, 8)
    expected = np.concatenate([0.5 * np.arange(-16, 16), 2.0 * np.arange(1, 9)]).astype(np.float32)
    assert np.array_equal(a.ravel(), expected)
    # The encoder reproduces GGML's quantize_row_q8_0_ref: d = amax/127, q = roundf(x/d) (half away from zero).
    x = np.array([127, 2.5, -2.5, 0.5, -0.49, 0, 63.5, -127] + [0] * 24, np.float32)
    enc = codec.quantize_q8_0(x)
    assert enc[:2] == struct.pack("<H", 0x3C00)  # d = 1.0
    assert np.frombuffer(enc[2:10], np.int8).tolist() == [127, 3, -3, 1, 0, 0, 64, -127]
    assert codec.decode(codec.encode(x, "q8_0"))[:8].tolist() == [127, 3, -3, 1, 0, 0, 64, -127]


def test_q8_0_errors():
    nan_scale = struct.pack("<H", 0x7E00) + bytes(32)
    with pytest.raises(codec.BlobError, match="non-finite scale"):
        codec.decode(blob(6, [32], nan_scale))
    inf_scale = struct.pack("<H", 0x7C00) + bytes(32)
    with pytest.raises(codec.BlobError, match="non-finite scale"):
        codec.decode(blob(6, [32], inf_scale))
    with pytest.raises(codec.BlobError, match="q8_0 blobs take no filter"):
        codec.decode(blob(6, [32], struct.pack("<H", 0x3C00) + bytes(32), filt=1))
    with pytest.raises(codec.BlobError, match="uncompressed size 34 does not match q8_0 \\[33\\] \\(68 bytes\\)"):
        codec.decode(blob(6, [33], struct.pack("<H", 0x3C00) + bytes(32)))
    with pytest.raises(codec.BlobError, match="non-finite"):
        codec.encode(np.array([1.0, np.inf], np.float32), "q8_0")


def test_q8_0_error_bound_on_real_scale():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(7, 100)).astype(np.float32)
    y = codec.decode(codec.encode(x, "q8_0"))
    blocks = np.pad(x.ravel(), (0, 4)).reshape(-1, 32)
    bound = np.repeat(np.abs(blocks).max(axis=1) / 127, 32)[:x.size].reshape(x.shape)
    # half a quantization step, plus the f16 rounding of d (2^-11 relative) times |q| <= 127
    assert np.all(np.abs(y - x) <= bound * (0.5 + 127 * 2.0 ** -11) + 1e-7)


@pytest.mark.parametrize("dtype", ["f16", "f32", "f64", "i64", "i32"])
@pytest.mark.parametrize("filt", ["none", "shuffle"])
def test_round_trip(dtype, filt):
    rng = np.random.default_rng(0)
    a = (rng.normal(size=(3, 5, 7)) * 1000).astype(codec.NUMPY[dtype])
    assert np.array_equal(codec.decode(codec.encode(a, filter=filt)), a)
    empty = np.zeros((0, 4), codec.NUMPY[dtype])
    assert codec.decode(codec.encode(empty, filter=filt)).shape == (0, 4)


def test_errors_name_the_problem():
    good = blob(2, [2], struct.pack("<2f", 1, 2))
    for bad, message in [
        (b"XXXX" + good[4:], "bad magic"),
        (good[:4] + b"\x09" + good[5:], "unknown dtype 9"),
        (good[:6] + b"\x07" + good[7:], "unknown filter 7"),
        (good[:7] + b"\x01" + good[8:], "reserved header byte 7"),
        (blob(2, [3], struct.pack("<2f", 1, 2)), "uncompressed size 8 does not match f32 \\[3\\]"),
        (good[:-4] + b"\0\0\0\0", "CRC mismatch"),
        (good[:12], "truncated"),
    ]:
        with pytest.raises(codec.BlobError, match=message):
            codec.decode(bad)
    with pytest.raises(codec.BlobError, match="unknown filter 'zstd'"):
        codec.encode(np.zeros(2, np.float32), filter="zstd")


def test_describe():
    assert codec.describe(codec.encode(np.zeros((5, 192), np.float16))) == "<f16 [5, 192]>"
    assert codec.describe(b"abc") == "<blob 3 bytes>"
