import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))
JAR = os.path.join(ROOT, "launcher", "target", "stoker.jar")
RECORD = 4096


def java():
    home = os.environ.get("JAVA_HOME")
    return os.path.join(home, "bin", "java") if home else "java"


@pytest.fixture(scope="session")
def dataset():
    if not os.path.exists(JAR):
        pytest.fail(f"{JAR} is missing: package the launcher first")
    directory = tempfile.mkdtemp(prefix="stoker-pytest-data-")
    subprocess.run([java(), "-jar", JAR, "dataset", "generate", directory, "--format", f"fixed:{RECORD}",
                    "--size", "4MiB", "--seed", "9"], check=True, stdout=subprocess.DEVNULL)
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


class Local:
    """`stoker local --sink shm` in a child process."""

    def __init__(self, dataset, *args, workers=2, epochs=1, batch_size=16, lease_ms=3000):
        self.shm = tempfile.mkdtemp(prefix="stoker-pytest-", dir="/dev/shm")
        self.report = os.path.join(self.shm + "-report.json")
        self.workers = workers
        command = [java(), "-jar", JAR, "local", "--dataset", dataset, "--chunk-size", "64KiB",
                   "--workers", str(workers), "--epochs", str(epochs), "--batch-size", str(batch_size),
                   "--shuffle-window", "4", "--sink", "shm", "--shm-dir", self.shm, "--no-progress",
                   "--consumer-lease", str(lease_ms), "--report", self.report, *args]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def rank_dir(self, rank):
        return os.path.join(self.shm, f"rank-{rank}")

    def wait(self, timeout=60):
        out, _ = self.process.communicate(timeout=timeout)
        return self.process.returncode, out

    def read_report(self):
        with open(self.report) as f:
            return json.load(f)

    def kill(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def cleanup(self):
        self.kill()
        shutil.rmtree(self.shm, ignore_errors=True)
        if os.path.exists(self.report):
            os.remove(self.report)


@pytest.fixture
def local(dataset):
    started = []

    def start(*args, **kwargs):
        run = Local(dataset, *args, **kwargs)
        started.append(run)
        return run

    yield start
    for run in started:
        run.cleanup()


def expected_bytes(dataset, report, chunk, record):
    entry = report["dataset"]["chunkTable"][chunk]
    with open(os.path.join(dataset, entry["shard"]), "rb") as f:
        f.seek(entry["offset"] + record * RECORD)
        return f.read(RECORD)
