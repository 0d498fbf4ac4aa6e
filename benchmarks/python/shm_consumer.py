"""One rank's Python consumer for `benchmarks/run python`: attach to DIR (`DIR/rank-r` of `stoker local --sink shm`),
take every batch, sum each sample's bytes as little-endian uint64 words (the touch the Java consumer does), release.

`Batch.gather()` collates the batch's samples into one (samples, words) array in a single numpy call, the one copy
`torch.stack(batch.tensors())` makes, and numpy sums it.

Prints `sum EPOCH VALUE` per epoch, then `batch T_NS EPOCH BYTES` per batch (T_NS: CLOCK_MONOTONIC, as Java's
System.nanoTime, taken after the sum), then `outcome OUTCOME`.
"""

import sys
import time

import numpy as np

import stoker


def touch(batch):
    return int(batch.gather(np.uint64).sum(dtype=np.uint64))


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
