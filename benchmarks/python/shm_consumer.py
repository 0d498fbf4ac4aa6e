"""One rank's Python consumer for `benchmarks/run python`: attach to DIR (`DIR/rank-r` of `stoker local --sink shm`),
take every batch, sum each sample's bytes as little-endian uint64 words (the touch the Java consumer does), release.

Vectorised over the batch: `Batch.buffer_views()` maps each pool buffer the batch uses once; per buffer, numpy gathers
the batch's samples from a sliding-window view of the buffer's words (no view object per sample, no Python call per
sample) and sums them. The gather is one copy of the batch's bytes, as `torch.stack(batch.tensors())` makes one.

Prints `sum EPOCH VALUE` per epoch, then `batch T_NS EPOCH BYTES` per batch (T_NS: CLOCK_MONOTONIC, as Java's
System.nanoTime, taken after the sum), then `outcome OUTCOME`.
"""

import sys
import time

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

import stoker


def touch(batch):
    length = batch.sample_length
    if length <= 0 or length % 8 or np.any(batch.within % 8):
        raise SystemExit("the benchmark's touch needs samples of one length, a multiple of 8, at 8-byte offsets")
    words = length // 8
    total = 0
    starts = batch.within // 8
    for buffer, view in batch.buffer_views(np.uint64).items():
        rows = sliding_window_view(view, words)
        total += int(rows[starts[batch.buffer_of == buffer]].sum(dtype=np.uint64))
        del rows, view
    return total % (1 << 64)


def main(directory):
    sums = {}
    lines = []
    with stoker.Channel(directory, attach_timeout=300) as channel:
        while True:
            batch = channel.take(timeout=300)
            if batch is None:
                break
            value = touch(batch)
            now = time.monotonic_ns()
            sums[batch.epoch] = (sums.get(batch.epoch, 0) + int(value)) % (1 << 64)
            lines.append(f"batch {now} {batch.epoch} {int(batch.lengths.sum())}")
            batch.release()
        outcome = channel.outcome
    out = [f"sum {epoch} {value}" for epoch, value in sorted(sums.items())] + lines + [f"outcome {outcome}"]
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
