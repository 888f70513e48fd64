"""Training data: the HDF5 token datasets written by `hsa generate --out FILE.h5`.

A dataset row is prompt ids + answer ids with a loss mask over the answer span. Several files form a mixture;
rows are split into train / held-out by their content hash (deterministic, independent of file order), and
the training order is a seeded permutation per epoch, so a run resumes exactly from (epoch, position).

Files that carry the samples' markers (`/marker_*`) also give the evidence of each row: the token spans of the
queried needles, vt chain lines and supporting bAbI facts, which a retrieval loss can aim the selection at.
"""
from dataclasses import dataclass

import h5py
import numpy as np
import torch

FORMAT = "hsa-token-dataset-1"
# Marker kinds that the answer depends on (as the harness's retrieval recall counts them).
EVIDENCE_KINDS = ("needle", "chain", "fact_support")


def attr_str(f, name):
    v = f.attrs[name]
    return v.decode() if isinstance(v, bytes) else str(v)


@dataclass
class Row:
    file: int
    index: int  # row index within its file
    task: str
    length: int


class TokenDatasets:
    def __init__(self, paths, heldout_every: int = 50):
        self.paths = list(paths)
        self.files, self.rows_train, self.rows_heldout = [], [], []
        self.tokenizer_hash = None
        for fi, p in enumerate(self.paths):
            try:
                f = h5py.File(p, "r")
            except OSError as e:
                raise ValueError(f"data: cannot open '{p}': {e}") from None
            try:
                self._add_file(fi, p, f, heldout_every)
            except Exception:
                f.close()
                self.close()
                raise
        if not self.rows_train:
            raise ValueError("data: no training rows")

    def close(self):
        for entry in self.files:
            entry["h5"].close()
        self.files = []

    def _add_file(self, fi, p, f, heldout_every):
        """Checks one open file and adds its rows (raises ValueError naming the file and what is wrong)."""
        fmt = f.attrs.get("format")
        if isinstance(fmt, bytes):
            fmt = fmt.decode()
        if fmt != FORMAT:
            raise ValueError(f"data: '{p}' is not an hsa token dataset (format {fmt!r})")
        th = attr_str(f, "tokenizer_hash")
        if self.tokenizer_hash is None:
            self.tokenizer_hash = th
        elif th != self.tokenizer_hash:
            raise ValueError(f"data: '{p}' was made with another tokenizer ({th} vs {self.tokenizer_hash})")
        names = attr_str(f, "task_names").split(",")
        offsets = f["offsets"][:]
        tasks = f["task"][:]
        hashes = f["hash"][:]
        lengths = f["length"][:]
        entry = {"h5": f, "offsets": offsets, "evidence": None}
        if "marker_offsets" in f:
            kinds = attr_str(f, "marker_kinds").split(",")
            evidence_kind = np.array([k in EVIDENCE_KINDS for k in kinds] + [False])
            mo = f["marker_offsets"][:]
            if len(mo) != len(offsets):
                raise ValueError(f"data: '{p}': /marker_offsets has {len(mo)} entries, /offsets {len(offsets)}")
            kind = f["marker_kind"][:]
            if kind.size and (kind.min() < 0 or kind.max() >= len(kinds)):
                raise ValueError(f"data: '{p}': /marker_kind outside the {len(kinds)} kinds of marker_kinds")
            mpos, mlen = f["marker_pos"][:], f["marker_len"][:]
            if len(mo) and (mo[0] != 0 or (mo[1:] < mo[:-1]).any() or mo[-1] != len(mpos)
                            or len(mlen) != len(mpos) or len(kind) != len(mpos)):
                raise ValueError(f"data: '{p}': /marker_offsets do not index /marker_pos, /marker_len and "
                                 f"/marker_kind ({len(mpos)}, {len(mlen)}, {len(kind)} entries)")
            entry["evidence"] = (mo, mpos, mlen, evidence_kind[kind])
        self.files.append(entry)
        for i in range(len(offsets) - 1):
            row = Row(fi, i, names[tasks[i]], int(lengths[i]))
            (self.rows_heldout if int(hashes[i]) % heldout_every == 0 else self.rows_train).append(row)

    def tokens(self, row: Row):
        f = self.files[row.file]
        a, b = int(f["offsets"][row.index]), int(f["offsets"][row.index + 1])
        return f["h5"]["tokens"][a:b], f["h5"]["loss_mask"][a:b]

    def files_without_markers(self):
        """Paths of the files that carry no markers (written before `hsa generate` stored them)."""
        return [p for p, f in zip(self.paths, self.files) if f["evidence"] is None]

    def evidence(self, row: Row):
        """[(token_pos, token_len)] of the row's evidence markers; None when its file has no markers."""
        ev = self.files[row.file]["evidence"]
        if ev is None:
            return None
        mo, pos, ln, is_ev = ev
        a, b = int(mo[row.index]), int(mo[row.index + 1])
        return [(int(pos[i]), int(ln[i])) for i in range(a, b) if is_ev[i]]

    def evidence_chunks(self, rows, n_chunks: int, chunk_size: int):
        """(B, n_chunks) bool: chunk i of row b holds a token of one of its evidence spans (a span that
        straddles a chunk boundary marks both chunks). Rows without markers have no evidence chunk."""
        out = np.zeros((len(rows), n_chunks), dtype=bool)
        for b, r in enumerate(rows):
            for p, n in self.evidence(r) or []:
                if n > 0:
                    out[b, p // chunk_size: min(n_chunks, (p + n - 1) // chunk_size + 1)] = True
        return torch.from_numpy(out)

    def batch(self, rows, pad_id: int = 0):
        """Right-padded (ids, targets, answer mask, lm mask) tensors: position t predicts token t+1."""
        seqs = [self.tokens(r) for r in rows]
        n = max(len(t) for t, _ in seqs) - 1
        ids = np.full((len(rows), n), pad_id, dtype=np.int64)
        tgt = np.full((len(rows), n), pad_id, dtype=np.int64)
        ans = np.zeros((len(rows), n), dtype=np.float32)
        lm = np.zeros((len(rows), n), dtype=np.float32)
        for i, (t, m) in enumerate(seqs):
            k = len(t) - 1
            ids[i, :k] = t[:-1]
            tgt[i, :k] = t[1:]
            ans[i, :k] = m[1:]
            lm[i, :k] = 1.0 - m[1:]
        return torch.from_numpy(ids), torch.from_numpy(tgt), torch.from_numpy(ans), torch.from_numpy(lm)

    def order(self, seed: int, epoch: int):
        g = np.random.default_rng([seed, epoch])
        return g.permutation(len(self.rows_train))


def batches(ds: TokenDatasets, seed: int, epoch: int, tokens_per_batch: int):
    """Yields lists of training rows of one length each (no padding waste), in a seeded order: rows are
    visited in a per-epoch permutation and collected into per-length buckets of tokens_per_batch tokens."""
    buckets = {}
    for k in ds.order(seed, epoch):
        row = ds.rows_train[k]
        b = buckets.setdefault(row.length, [])
        b.append(row)
        if len(b) * row.length >= tokens_per_batch:
            yield b
            buckets[row.length] = []
