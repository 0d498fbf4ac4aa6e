"""StokerDataset starting its rank's worker itself (`stoker worker --sink shm` as a child process) against a
coordinator, a data server and a submitted job running as processes on loopback: the form a distributed training
script uses."""

import os
import re
import select
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

from conftest import JAR, java
from stoker.torch import StokerDataset

RECORDS = 1024
BATCH = 16


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def endpoint():
    return f"127.0.0.1:{free_port()}"


class Processes:
    def __init__(self):
        self.started = []

    def start(self, *args, ready=None, timeout=60):
        """Start `stoker ARGS`; with `ready`, wait until its output has a line matching it and return the match."""
        process = subprocess.Popen([java(), "-jar", JAR, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True)
        self.started.append(process)
        if ready is None:
            return process, None
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            if select.select([process.stdout], [], [], 0.5)[0]:
                line = process.stdout.readline()
                seen.append(line)
                match = re.search(ready, line)
                if match:
                    return process, match
                if not line and process.poll() is not None:
                    break
        pytest.fail(f"stoker {args[0]} did not say {ready!r}: {''.join(seen)}")

    def stop(self):
        for process in self.started:
            if process.poll() is None:
                process.kill()
            process.wait()


@pytest.fixture
def processes():
    started = Processes()
    yield started
    started.stop()


def test_a_dataset_that_starts_its_worker_takes_every_sample_of_the_job_once(dataset, processes):
    work = tempfile.mkdtemp(prefix="stoker-pytest-worker-")
    try:
        data = os.path.join(work, "data")
        shutil.copytree(dataset, data)
        token = os.path.join(work, "job.token")
        with open(token, "w") as f:
            f.write("a-python-test-token-0123456789abcdef")
        coordinator = endpoint()
        processes.start("coordinator", "--listen", coordinator, "--job-token-file", token,
                        "--lease-timeout", "3000", ready="listening on")
        _, advertised = processes.start("serve", "--coordinator", coordinator, "--listen", endpoint(),
                                        "--dataset", data, "--chunk-size", "64KiB", "--job-token-file", token,
                                        "--host-id", "data-host", ready=r"advertised dataset ([0-9a-f]+)")
        submit, _ = processes.start("submit", "--coordinator", coordinator, "--listen", endpoint(),
                                    "--dataset-id", advertised.group(1), "--world-size", "1", "--epochs", "2",
                                    "--batch-size", str(BATCH), "--shuffle-window", "4", "--job-token-file", token)

        dataset_of_rank = StokerDataset(coordinator=coordinator, rank=0, listen=endpoint(), job_token_file=token,
                                        stoker=JAR, java=java())
        taken = {0: [], 1: []}
        steps = {0: [], 1: []}
        try:
            for batch in dataset_of_rank:
                assert len(batch) == BATCH
                taken[batch.epoch] += batch.ids
                steps[batch.epoch].append(batch.step)
                assert batch.tensor(0).numel() == 4096
            assert dataset_of_rank.channel.outcome == "complete"
        finally:
            dataset_of_rank.close()
        assert dataset_of_rank.process.returncode == 0, "the worker it started exited 0"

        out, _ = submit.communicate(timeout=60)
        assert submit.returncode == 0, out
        for epoch in (0, 1):
            assert steps[epoch] == list(range(RECORDS // BATCH)), f"epoch {epoch}: every step once, in order"
            assert len(set(taken[epoch])) == RECORDS == len(taken[epoch]), f"epoch {epoch}: every sample once"
        assert taken[0] != taken[1], "another epoch, another order"
    finally:
        shutil.rmtree(work, ignore_errors=True)
