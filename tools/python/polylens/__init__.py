"""Polylens files in Python (numpy + lz4 + sqlite3; pandas for frames). See Schema/FORMAT.md.

    import polylens
    f = polylens.open("out/polycode.polylens")
    stats = f.neuron_stats()                 # (language, layer, neuron) frame
    f.sql(open("Queries/activation_rate_per_layer.sql").read())
    polylens.decode(blob), polylens.encode(array, dtype="f16", filter="shuffle")
"""
from .codec import BlobError, decode, describe, encode, header
from .file import PolylensError, PolylensFile, open
from .sql import connect, register

__all__ = ["BlobError", "PolylensError", "PolylensFile", "connect", "decode", "describe", "encode", "header",
           "open", "register"]
