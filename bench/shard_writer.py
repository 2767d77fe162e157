"""Shard writer: clearreel's tar writer against webdataset's `TarWriter`, on the same clips.

The question is whether `webdataset.TarWriter` can replace `clearreel.dataset.writer`'s own
tar writer. It can only if a fixed build still gives byte-identical shards (their sha256 is
in the signed manifest, so the manifest hash, and every model that records it, depends on
them) and the same Merkle root. The run writes the same clips (random bytes, fixed per run)
twice with each writer, a second apart, and reports: identical across runs, identical to
ours, the member metadata each writer sets, and the write time with the ratio ours/peer.

    .venv/bin/python bench/shard_writer.py [--clips 200] [--kib 256]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import tarfile
import tempfile
import time
from pathlib import Path

from clearreel.dataset.manifest import canonical
from clearreel.dataset.merkle import merkle_root
from clearreel.dataset.writer import write_shards


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clips", type=int, default=200)
    ap.add_argument("--kib", type=int, default=256)
    args = ap.parse_args()
    import webdataset as wds

    root = Path(tempfile.mkdtemp())
    (root / "clips").mkdir()
    clips = []
    for i in range(args.clips):
        cid = f"w-a_m0_{i * 100:07d}_{i * 100 + 32:07d}"
        (root / "clips" / f"{cid}.mp4").write_bytes(os.urandom(args.kib * 1024))
        clips.append({"id": cid, "file": f"clips/{cid}.mp4", "caption": f"clip {i}"})
    per = 50

    def ours() -> list[str]:
        shards = write_shards(root, "d", clips, shard_bytes=1 << 40, shard_clips=per)
        return [s["sha256"] for s in shards]

    def peer(tag: str) -> list[str]:
        shas = []
        for j in range(0, len(clips), per):
            path = root / f"wds-{tag}-{j // per:06d}.tar"
            with open(path, "wb") as f:
                w = wds.TarWriter(f)
                for c in clips[j : j + per]:
                    w.write({"__key__": c["id"], "mp4": (root / c["file"]).read_bytes(),
                             "json": canonical(c)})
                w.close()
            shas.append(hashlib.sha256(path.read_bytes()).hexdigest())
        return shas

    t = time.perf_counter()
    a1 = ours()
    t_ours = time.perf_counter() - t
    t = time.perf_counter()
    b1 = peer("1")
    t_peer = time.perf_counter() - t
    time.sleep(1.1)
    a2, b2 = ours(), peer("2")
    with tarfile.open(root / "wds-1-000000.tar") as tar:
        m = tar.getmembers()[0]
        peer_meta = (f"first member {m.name}, mtime {m.mtime:.0f}, uname {m.uname!r}, "
                     f"mode {m.mode:o}")
    with tarfile.open(root / "shards" / "d-000000.tar") as tar:
        m = tar.getmembers()[0]
        ours_meta = f"first member {m.name}, mtime {m.mtime}, uname {m.uname!r}, mode {m.mode:o}"
    root_hash = merkle_root([canonical(c) for c in clips])
    print(f"{args.clips} clips of {args.kib} KiB, {len(a1)} shards")
    print(f"clearreel:  identical across runs {a1 == a2}; {ours_meta}")
    print(f"webdataset: identical across runs {b1 == b2}; identical to clearreel {b1 == a1}; "
          f"{peer_meta}")
    print(f"Merkle root (over the clip entries, not the tar bytes): {root_hash[:16]}… either way")
    print(f"write time: clearreel {t_ours:.3f} s, webdataset {t_peer:.3f} s, "
          f"ratio clearreel/webdataset {t_ours / t_peer:.2f}")


if __name__ == "__main__":
    main()
