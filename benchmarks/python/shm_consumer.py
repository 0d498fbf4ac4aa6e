"""One rank's Python consumer for `benchmarks/run python`: attach to DIR (`DIR/rank-r` of `stoker local --sink shm`),
take every batch, sum each sample's bytes as little-endian uint64 words (the touch the Java consumer does), release.

As a training loop does: `Batch.gather()` collates the batch's samples into one (samples, words) array in a single
numpy call (the one copy `torch.stack(batch.tensors())` makes, and the only way to reach scattered samples without a
Python call per sample), the batch is released at once (the array owns its memory), and numpy sums the array.

Prints `sum EPOCH VALUE` per epoch, then `batch T_NS EPOCH BYTES` per batch (T_NS: CLOCK_MONOTONIC, as Java's
System.nanoTime, taken after the sum), then `outcome OUTCOME`.
"""

import sys
import time

import numpy as np

import stoker


def main(directory):
    sums = {}
    batches = []
    with stoker.Channel(directory, attach_timeout=300) as channel:
        while True:
            batch = channel.take(timeout=300)
            if batch is None:
                break
            samples = batch.gather(np.uint64)
            epoch, length = batch.epoch, int(batch.lengths.sum())
            batch.release()
            value = int(samples.sum(dtype=np.uint64))
            batches.append((time.monotonic_ns(), epoch, length))
            sums[epoch] = (sums.get(epoch, 0) + value) % (1 << 64)
        outcome = channel.outcome
    out = [f"sum {epoch} {value}" for epoch, value in sorted(sums.items())]
    out += [f"batch {now} {epoch} {length}" for now, epoch, length in batches] + [f"outcome {outcome}"]
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
