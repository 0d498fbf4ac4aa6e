"""A real DDP run (torch.distributed, gloo, 2 ranks in 2 processes) of examples/python/ddp_train.py on Stoker batches,
and the same run with one rank killed with -9 mid-epoch and the job restarted from its checkpoint."""

import collections
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pytest
import torch

from conftest import JAR, ROOT, Local, java

SCRIPT = os.path.join(ROOT, "examples", "python", "ddp_train.py")
FEED = ["--chunk-size", "64KiB", "--shuffle-window", "4"]


@pytest.fixture(scope="module")
def ragged():
    """976 records of 256 bytes in 4 chunks: 2 ranks x 16 leave 16 samples to drop-last each epoch."""
    if not os.path.exists(JAR):
        pytest.fail(f"{JAR} is missing: package the launcher first")
    directory = tempfile.mkdtemp(prefix="stoker-pytest-ddp-data-")
    subprocess.run([java(), "-jar", JAR, "dataset", "generate", directory, "--format", "fixed:256",
                    "--size", "250000", "--seed", "5"], check=True, stdout=subprocess.DEVNULL)
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def scratch():
    """An output directory and a /dev/shm directory, removed afterwards, and the process groups to kill."""
    out = tempfile.mkdtemp(prefix="stoker-pytest-ddp-")
    shm = tempfile.mkdtemp(prefix="stoker-pytest-ddp-", dir="/dev/shm")
    groups = []
    yield out, shm, groups
    for process in groups:  # SIGTERM first: multiprocessing's resource tracker survives it and unlinks semaphores
        for sig, grace in ((signal.SIGTERM, 15), (signal.SIGKILL, 15)):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                break
            try:
                process.wait(grace)
                break
            except subprocess.TimeoutExpired:
                pass
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(shm, ignore_errors=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def all_samples(report):
    return {(c["id"], r) for c in report["dataset"]["chunkTable"] for r in range(c["records"])}


def pairs(flat):
    return list(zip(flat[0::2], flat[1::2]))


def attempts(out, rank):
    """rank-R.jsonl split at each start: [(start event, [step lines], [events])]."""
    runs = []
    with open(os.path.join(out, f"rank-{rank}.jsonl")) as f:
        for line in f:
            entry = json.loads(line)
            if entry.get("event") == "start":
                runs.append((entry, [], []))
            elif "event" in entry:
                runs[-1][2].append(entry)
            else:
                runs[-1][1].append(entry)
    return runs


def leftovers(directory):
    return [os.path.join(d, f) for d, _, files in os.walk(directory) for f in files]


def result(out, rank):
    with open(os.path.join(out, f"rank-{rank}.json")) as f:
        return json.load(f)


def ids(lines):
    return [tuple(i) for line in lines for i in line["ids"]]


def test_two_ranks_two_epochs_equal_steps_every_sample_once_loss_goes_down(ragged, scratch):
    """The ranks as torchrun starts them (RANK, WORLD_SIZE, MASTER_* in the environment) on a `stoker local` fed
    separately."""
    out, _, groups = scratch
    run = Local(ragged, workers=2, epochs=2, batch_size=16, lease_ms=5000)
    try:
        env = dict(os.environ, WORLD_SIZE="2", MASTER_ADDR="127.0.0.1", MASTER_PORT=str(free_port()),
                   GLOO_SOCKET_IFNAME="lo")
        ranks = [subprocess.Popen([sys.executable, SCRIPT, "--shm-dir", run.shm, "--out", out,
                                   "--checkpoint-every", "8"], env=dict(env, RANK=str(r)), start_new_session=True)
                 for r in (0, 1)]
        groups += ranks
        deadline = time.monotonic() + 120
        while any(p.poll() is None for p in ranks) and time.monotonic() < deadline:
            if run.process.poll() not in (None, 0):
                pytest.fail(f"the feed failed: {run.wait()[1]}")
            time.sleep(0.1)
        assert [p.poll() for p in ranks] == [0, 0]
        rc, log = run.wait(60)
        assert rc == 0, log
        report = run.read_report()
    finally:
        run.cleanup()

    results = [result(out, r) for r in (0, 1)]
    assert results[0]["outcome"] == results[1]["outcome"] == "complete"
    steps = (976 // 32)
    assert results[0]["steps"] == results[1]["steps"] == 2 * steps, "equal steps on both ranks"
    assert results[0]["param_sum"] == results[1]["param_sum"], "DDP kept the replicas equal"
    everything = all_samples(report)
    assert len(everything) == 976
    for epoch in (0, 1):
        trained = [[tuple(i) for i in results[r]["epochs"][str(epoch)]] for r in (0, 1)]
        assert len(trained[0]) == len(trained[1]) == steps * 16
        counts = collections.Counter(trained[0] + trained[1])
        assert max(counts.values()) == 1, "no sample twice in an epoch"
        dropped = set(pairs(report["epochs"][epoch]["dropped"]))
        assert len(dropped) == 16
        assert set(counts) == everything - dropped, "every sample once per epoch, but the drop-last set"
        for r in (0, 1):
            delivered = [i for s in report["epochs"][epoch]["ranks"][r]["steps"] for i in pairs(s["samples"])]
            assert trained[r] == delivered, "each rank trained on what Stoker delivered to it, in order"
    for r in (0, 1):
        losses = results[r]["losses"]
        assert len(losses) == 2 * steps
        assert sum(losses[-5:]) / 5 < 0.01 * sum(losses[:5]) / 5, f"rank {r}'s loss went down: {losses}"
    checkpoint = attempts(out, 0)[0][2]
    assert [e["step"] for e in checkpoint if e["event"] == "checkpoint"] == list(range(8, 2 * steps + 1, 8))


def launcher(out, shm, ragged, *extra):
    return subprocess.Popen([sys.executable, SCRIPT, "--dataset", ragged, "--ranks", "2", "--epochs", "1",
                             "--batch-size", "16", "--out", out, "--shm-dir", shm, "--checkpoint-every", "8",
                             "--stoker", JAR,
                             *[f"--stoker-arg={a}" for a in FEED], *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)


def wait_for(what, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = what()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout} s waiting for {what.__doc__}")


def test_a_rank_killed_mid_epoch_and_the_job_restarted_from_its_checkpoint_trains_each_sample_once(ragged, scratch):
    out, shm, groups = scratch
    steps = 976 // 32
    job = launcher(out, shm, ragged, "--step-time", "0.15")
    groups.append(job)

    def killable():
        """rank 1 a step past its first checkpoint"""
        if job.poll() is not None:
            pytest.fail(f"the job ended before rank 1 could be killed: {job.communicate()[0]}")
        try:
            runs = attempts(out, 1)
        except FileNotFoundError:
            return None
        if not runs:
            return None
        start, lines, events = runs[0]
        if any(e["event"] == "checkpoint" for e in events) and len(lines) > events[0]["step"]:
            return start["pid"]
        return None

    pid = wait_for(killable)
    os.kill(pid, signal.SIGKILL)
    first_out, _ = job.communicate(timeout=90)
    assert job.returncode != 0 and "training failed" in first_out, first_out
    killed = attempts(out, 1)[0]
    assert len(killed[1]) < steps and not os.path.exists(os.path.join(out, "rank-1.json")), "killed mid-epoch"
    assert not leftovers(shm), "the feed stopped and removed its channels"

    again = launcher(out, shm, ragged, "--resume")
    groups.append(again)
    second_out, _ = again.communicate(timeout=120)
    assert again.returncode == 0, second_out
    assert "resuming from" in second_out
    with open(os.path.join(out, "stoker-report.json")) as f:
        report = json.load(f)

    results = [result(out, r) for r in (0, 1)]
    runs = [attempts(out, r) for r in (0, 1)]
    assert [len(r) for r in runs] == [2, 2]
    restart = runs[0][1][0]["step"]
    assert restart >= 8 and restart % 8 == 0 and runs[1][1][0]["step"] == restart, "both resumed at the checkpoint"
    assert len(killed[1]) > restart, "the killed rank trained past the checkpoint"
    for r in (0, 1):
        before, after = ids(runs[r][0][1][:restart]), ids(runs[r][1][1])
        assert [tuple(i) for i in results[r]["epochs"]["0"]] == before + after, "the checkpoint's samples, then the rest"
        assert [line["step"] for line in runs[r][1][1]] == list(range(restart, steps)), "the feed resumed at its step"
        delivered = [i for s in report["epochs"][0]["ranks"][r]["steps"] for i in pairs(s["samples"])]
        assert after == delivered
    retrained = {i for r in (0, 1) for i in ids(runs[r][0][1][restart:])}
    assert retrained and retrained <= {i for r in (0, 1) for i in ids(runs[r][1][1])}, \
        "what was trained after the checkpoint (and lost with the kill) is trained again after the restart"
    assert results[0]["steps"] == results[1]["steps"] == steps, "equal steps on both ranks"
    assert results[0]["outcome"] == results[1]["outcome"] == "complete"
    assert results[0]["param_sum"] == results[1]["param_sum"]
    trained = [tuple(i) for r in (0, 1) for i in results[r]["epochs"]["0"]]
    assert len(trained) == len(set(trained)) == steps * 32, "every sample exactly once over the whole epoch"
    assert set(trained) == all_samples(report) - set(pairs(report["epochs"][0]["dropped"]))
    assert not leftovers(shm)
