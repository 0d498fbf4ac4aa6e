"""GPU check of `--sink shm-gpu` (plain script, no pytest): start `stoker local --sink shm-gpu --workers 1`, consume
its batches as torch tensors on the device opened through CUDA IPC, and check every sample of every epoch against
the dataset file's bytes (device-side: each batch copied to the host after the fact), each once per epoch.
Prints throughput. Without torch.cuda or the CUDA runtime it prints `SKIPPED: <reason>` and exits 0.

    python3 python/tests/gpu_check.py [--jar launcher/target/stoker.jar] [--java java] [--size 256MiB] [--epochs 2]
"""

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
for candidate in (os.path.join(ROOT, "python"), os.path.dirname(HERE)):
    if os.path.isdir(os.path.join(candidate, "stoker")):
        sys.path.insert(0, candidate)
        break

RECORD = 4096


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--jar", default=os.path.join(ROOT, "launcher", "target", "stoker.jar"))
    parser.add_argument("--java", default=os.path.join(os.environ["JAVA_HOME"], "bin", "java")
                        if os.environ.get("JAVA_HOME") else "java")
    parser.add_argument("--size", default="256MiB")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--device", type=int, default=0)
    args = parser.parse_args()

    from stoker.cuda import unavailable_reason
    reason = unavailable_reason()
    if reason is not None:
        print(f"SKIPPED: {reason}")
        return 0
    import numpy as np
    import torch
    import stoker

    work = tempfile.mkdtemp(prefix="stoker-gpu-check-")
    shm = tempfile.mkdtemp(prefix="stoker-gpu-check-", dir="/dev/shm")
    dataset = os.path.join(work, "data")
    report_path = os.path.join(work, "report.json")
    process = None
    try:
        subprocess.run([args.java, "-jar", args.jar, "dataset", "generate", dataset, "--format", f"fixed:{RECORD}",
                        "--size", args.size, "--seed", "5"], check=True, stdout=subprocess.DEVNULL)
        command = [args.java, "-jar", args.jar, "local", "--dataset", dataset, "--sink", "shm-gpu", "--device",
                   str(args.device), "--shm-dir", shm, "--workers", "1", "--batch-size", str(args.batch_size),
                   "--epochs", str(args.epochs), "--no-progress", "--report", report_path]
        print("running:", " ".join(command), flush=True)
        log = open(os.path.join(work, "stoker.log"), "w+")
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, text=True)

        digests = collections.defaultdict(dict)   # epoch -> (chunk, record) -> crc32 of the device bytes
        repeats = 0
        delivered = 0
        device_ns = 0
        sums_match = True
        first = None
        with stoker.Channel(stoker.rank_dir(shm, 0), attach_timeout=120, process=process) as channel:
            assert channel.on_device, "a --sink shm-gpu channel holds device slots"
            while True:
                batch = channel.take(timeout=120)
                if batch is None:
                    break
                if first is None:
                    first = time.monotonic()
                tensors = batch.tensors()
                for t in tensors:
                    assert t.is_cuda and t.device.index == channel.device and t.dtype == torch.uint8
                start = time.perf_counter_ns()
                stacked = torch.stack(tensors)                     # reads every sample on the device
                device_sum = int(stacked.sum(dtype=torch.int64))
                torch.cuda.current_stream().synchronize()
                device_ns += time.perf_counter_ns() - start
                host = stacked.cpu().numpy()
                if int(host.sum(dtype=np.int64)) != device_sum:
                    sums_match = False
                for i, (chunk, record) in enumerate(batch.ids):
                    key = (chunk, record)
                    if key in digests[batch.epoch]:
                        repeats += 1
                    digests[batch.epoch][key] = zlib.crc32(host[i].tobytes())
                delivered += sum(int(n) for n in batch.lengths)
                t = None
                del tensors, stacked
                batch.release()
            elapsed = time.monotonic() - (first or time.monotonic())
            outcome = channel.outcome
            opened = channel.device_slots.opened
        rc = process.wait(timeout=120)
        log.seek(0)
        out = log.read()
        if rc != 0 or outcome != "complete":
            print(out)
            print(f"FAILED: stoker local exited {rc}, channel outcome {outcome}")
            return 1

        with open(report_path) as f:
            report = json.load(f)
        table = report["dataset"]["chunkTable"]
        records = report["dataset"]["records"]
        expected_per_epoch = records // args.batch_size * args.batch_size
        wrong = 0
        handles = {}
        for epoch, seen in digests.items():
            for (chunk, record), crc in seen.items():
                entry = table[chunk]
                f = handles.get(entry["shard"])
                if f is None:
                    f = handles[entry["shard"]] = open(os.path.join(dataset, entry["shard"]), "rb")
                f.seek(entry["offset"] + record * RECORD)
                if zlib.crc32(f.read(RECORD)) != crc:
                    wrong += 1
        for f in handles.values():
            f.close()
        counts = [len(digests[e]) for e in range(args.epochs)]
        print(f"device {channel.device} ({torch.cuda.get_device_name(channel.device)}): {args.epochs} epochs, "
              f"{records} records, samples per epoch {counts} (expected {expected_per_epoch} each, drop-last), "
              f"repeated {repeats}, differing from the file {wrong}, device sums match host copies: {sums_match}, "
              f"slots opened {opened}")
        print(f"throughput: {delivered / 1e9:.3f} GB in {elapsed:.2f} s = {delivered / 1e9 / max(elapsed, 1e-9):.2f} "
              f"GB/s consumed (including the check's copy to the host); device-side reads "
              f"{delivered / 1e9 / max(device_ns / 1e9, 1e-9):.1f} GB/s")
        ok = wrong == 0 and repeats == 0 and sums_match and all(c == expected_per_epoch for c in counts)
        print("PASSED" if ok else "FAILED")
        return 0 if ok else 1
    finally:
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(shm, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
