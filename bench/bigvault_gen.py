#!/usr/bin/env python3
"""Fills a vault's registry with MODELS models of CHUNKS chunks each, every chunk with a stored
placement on each of the vault's providers (ids 1..N), as a big vault looks after years of use,
without uploading a byte: only the registry is written (bench/bigvault.sh measures what reads it).

    bench/bigvault_gen.py REGISTRY MODELS CHUNKS_PER_MODEL [CHUNK_BYTES]

Chunk CIDs are real CIDv1 (raw, sha2-256) of made-up digests, so anything that parses them can.
A local folder names each object by its CID: the registry keeps that as a NULL short_locator.
"""
import base64
import hashlib
import sqlite3
import sys
import time

registry, models, per_model = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
chunk_bytes = int(sys.argv[4]) if len(sys.argv) > 4 else 1 << 20


def cid(n):
    digest = hashlib.sha256(n.to_bytes(8, "little")).digest()
    raw = bytes([0x01, 0x55, 0x12, 0x20]) + digest
    return "b" + base64.b32encode(raw).decode().lower().rstrip("=")


db = sqlite3.connect(registry)
providers = [r[0] for r in db.execute("SELECT id FROM providers ORDER BY id")]
now = int(time.time())
chunker = "fixed:size=%d" % chunk_bytes
with db:
    for m in range(models):
        model_id = db.execute(
            "INSERT INTO models (name, source, created_at, state) VALUES (?, '', ?, 'complete')",
            (f"model-{m:05d}", now)).lastrowid
        file_id = db.execute(
            "INSERT INTO files (model_id, path, size, sha256, chunker, state) "
            "VALUES (?, 'weights.bin', ?, ?, ?, 'complete')",
            (model_id, per_model * chunk_bytes, hashlib.sha256(b"%d" % m).hexdigest(),
             chunker)).lastrowid
        cids = [cid(m * per_model + i) for i in range(per_model)]
        db.executemany("INSERT INTO chunks (cid, size) VALUES (?, ?)",
                       [(c, chunk_bytes) for c in cids])
        db.executemany("INSERT INTO file_chunks (file_id, idx, offset, cid) VALUES (?, ?, ?, ?)",
                       [(file_id, i, i * chunk_bytes, c) for i, c in enumerate(cids)])
        db.executemany(
            "INSERT INTO placements (cid, provider_id, short_locator, state, stored_at) "
            "VALUES (?, ?, NULL, 'stored', ?)", [(c, p, now) for c in cids for p in providers])
    # As if published long ago (the triggers mark a model changed when its rows are written):
    # the next publish has only its own changes to send.
    db.execute("UPDATE models SET catalog_dirty = 0")
db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
db.close()
