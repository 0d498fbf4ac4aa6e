"""The plain PyTorch baseline of `benchmarks/run python`: a map-style Dataset over a fixed-record dataset's shard files
(`*.bin`, RECORD bytes a record) that slices record i out of a read-only np.memmap of its shard, the usual way, fed
through `DataLoader(num_workers=WORKERS, batch_size=BATCH, shuffle=True)`; the training loop sums each batch's bytes
as little-endian uint64 words (the touch the Stoker consumers do).

Prints `sum EPOCH VALUE` per epoch, then `batch T_NS EPOCH BYTES` per batch (T_NS: CLOCK_MONOTONIC, taken after the
sum), then `outcome complete`.
"""

import bisect
import glob
import os
import sys
import time

import numpy as np
import torch
import torch.utils.data


class Records(torch.utils.data.Dataset):
    def __init__(self, directory, record):
        self.paths = sorted(glob.glob(os.path.join(directory, "*.bin")))
        self.record = record
        self.starts = [0]
        for path in self.paths:
            self.starts.append(self.starts[-1] + os.path.getsize(path) // record)
        self.maps = None

    def __len__(self):
        return self.starts[-1]

    def __getitem__(self, i):
        if self.maps is None:  # opened in each DataLoader worker, not pickled to it
            self.maps = [np.memmap(path, dtype=np.uint8, mode="r") for path in self.paths]
        shard = bisect.bisect_right(self.starts, i) - 1
        at = (i - self.starts[shard]) * self.record
        return torch.from_numpy(np.array(self.maps[shard][at:at + self.record]))


def main(directory, epochs, record=4096, workers=2, batch_size=256):
    loader = torch.utils.data.DataLoader(Records(directory, record), batch_size=batch_size, shuffle=True,
                                         num_workers=workers)
    sums = {}
    lines = []
    for epoch in range(epochs):
        for batch in loader:
            value = batch.numpy().view(np.uint64).sum(dtype=np.uint64)
            now = time.monotonic_ns()
            sums[epoch] = (sums.get(epoch, 0) + int(value)) % (1 << 64)
            lines.append(f"batch {now} {epoch} {batch.numel()}")
    out = [f"sum {epoch} {value}" for epoch, value in sorted(sums.items())] + lines + ["outcome complete"]
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), *(int(a) for a in sys.argv[3:]))
