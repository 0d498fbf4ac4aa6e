"""Python consumes a real `stoker local --sink shm` (a JVM in a child process)."""

import collections
import ctypes
import os
import signal
import threading
import time

import numpy as np
import pytest
import torch

import stoker
from stoker.torch import StokerDataset
from conftest import RECORD, expected_bytes


def consume(directory, out, hold=0.0):
    with stoker.Channel(directory) as channel:
        pool = ctypes.addressof(ctypes.c_char.from_buffer(channel._pool_map))
        while True:
            batch = channel.take(timeout=60)
            if batch is None:
                out.append(("end", channel.outcome))
                return
            base = np.frombuffer(batch._map(int(batch.offsets[0]) // channel.buffer_length), np.uint8).ctypes.data
            del base
            samples = []
            for i in range(len(batch)):
                t = batch.tensor(i)
                buffer = int(batch.offsets[i]) // channel.buffer_length
                start = np.frombuffer(batch._maps[buffer], np.uint8).ctypes.data
                assert start <= t.data_ptr() < start + channel.buffer_length, "a view into the pool's mapping"
                assert t.data_ptr() == start + int(batch.offsets[i]) % channel.buffer_length
                assert t.data_ptr() == pool + int(batch.offsets[i]), "at its offset in the one mapping of the pool"
                samples.append((int(batch.chunks[i]), int(batch.records[i]), bytes(t.numpy())))
                del t
            out.append((batch.epoch, batch.stream, batch.step, samples))
            if hold:
                time.sleep(hold)
            batch.release()


def test_zero_copy_views_every_sample_once_per_epoch_with_the_files_bytes(dataset, local):
    run = local(workers=2, epochs=2, batch_size=16)
    results = {0: [], 1: []}
    threads = [threading.Thread(target=consume, args=(run.rank_dir(r), results[r])) for r in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    rc, out = run.wait()
    assert rc == 0, out
    report = run.read_report()
    assert results[0][-1] == ("end", "complete") and results[1][-1] == ("end", "complete")
    for epoch in (0, 1):
        seen = collections.Counter()
        steps = []
        for rank in (0, 1):
            batches = [b for b in results[rank][:-1] if b[0] == epoch]
            steps.append(len(batches))
            assert [b[2] for b in batches] == list(range(len(batches))), "steps in order"
            for _, _, _, samples in batches:
                assert len(samples) == 16
                for chunk, record, data in samples:
                    seen[(chunk, record)] += 1
                    assert data == expected_bytes(dataset, report, chunk, record)
            reported = [s["samples"] for s in report["epochs"][epoch]["ranks"][rank]["steps"]]
            assert [[x for c, r, _ in b[3] for x in (c, r)] for b in batches] == reported
        assert steps[0] == steps[1] > 0, "equal steps per rank"
        records = report["dataset"]["records"]
        assert max(seen.values()) == 1
        assert len(seen) == records // 32 * 32, "every sample once (drop-last)"


def test_the_next_batch_releases_the_previous_and_state_dict_releases_the_last(local):
    run = local(workers=1, epochs=1, batch_size=32)
    dataset = StokerDataset(shm_dir=run.rank_dir(0))
    loader = torch.utils.data.DataLoader(dataset, batch_size=None, num_workers=0)
    seen = []
    for batch in loader:
        if seen:
            assert seen[-1].released, "taking a batch released the one before"
        assert not batch.released
        assert dataset.channel.releases_sent == len(seen)
        seen.append(batch)
        if len(seen) == 3:
            token = dataset.state_dict()["resume_token"]
            assert batch.released and dataset.channel.releases_sent == 3
            assert token.startswith("stoker-resume-v2:")
    assert [b.sequence for b in seen] == list(range(len(seen)))
    dataset.close()
    assert run.wait()[0] == 0


def test_a_consumer_that_holds_its_batches_stalls_the_feed_and_loses_nothing(dataset, local):
    run = local(workers=1, epochs=1, batch_size=16)
    held = []
    with stoker.Channel(run.rank_dir(0)) as channel:
        with pytest.raises(TimeoutError):
            while True:
                held.append(channel.take(timeout=2))
        assert 0 < len(held) < 64, "the pool ran out: the feed stalled"
        seen = [i for b in held for i in b.ids]
        for b in held:
            b.release()
        while (batch := channel.take(timeout=30)) is not None:
            seen += batch.ids
            batch.release()
        assert channel.outcome == "complete"
    assert run.wait()[0] == 0
    assert len(seen) == len(set(seen)) == 1024 // 16 * 16


def test_a_view_kept_past_release_is_refused_naming_the_batch(local):
    run = local(workers=1, epochs=1, batch_size=16)
    with stoker.Channel(run.rank_dir(0)) as channel:
        batch = channel.take(timeout=30)
        kept = batch.tensor(3)
        with pytest.raises(stoker.ViewStillHeld, match=f"batch {batch.sequence} \\(epoch 0, stream 0, step 0\\)"):
            batch.release()
        assert not batch.released and channel.releases_sent == 0, "not released to the worker"
        assert kept.sum().item() >= 0, "the view still sees the pool"
        del kept
        batch.release()
        assert channel.releases_sent == 1
        while (batch := channel.take(timeout=30)) is not None:
            batch.release()
    assert run.wait()[0] == 0


def test_a_killed_worker_is_a_clear_exception(local):
    run = local(workers=1, epochs=1, batch_size=16)
    with stoker.Channel(run.rank_dir(0)) as channel:
        channel.take(timeout=30).release()
        run.kill()
        with pytest.raises(stoker.WorkerGone, match="exited|no heartbeat"):
            while True:
                batch = channel.take(timeout=30)
                assert batch is not None
                batch.release()


def _next_record(channel, timeout=30):
    """Offset in the channel's mapping of the next batch record, once the worker wrote it."""
    ring = channel._batches
    deadline = time.monotonic() + timeout
    while True:
        at = ring._base + (channel._i64[ring._head] & ring._mask)
        if channel._i32[at // 4] > 0:
            return at
        assert time.monotonic() < deadline, "no batch record"
        time.sleep(0.01)


def test_a_bad_descriptor_is_a_clear_exception_naming_the_batch_and_sample(local):
    run = local(workers=1, epochs=1, batch_size=16)
    with stoker.Channel(run.rank_dir(0)) as channel:
        channel.take(timeout=30).release()  # positive control: a good descriptor gives a batch
        at = _next_record(channel)
        sample_3_offset = at + 8 + 40 + 3 * 24
        channel._mm[sample_3_offset:sample_3_offset + 8] = (channel.pool_length * 2).to_bytes(8, "little")
        with pytest.raises(stoker.StokerError, match=r"bad batch descriptor \d+: sample 3 names bytes .* outside"):
            channel.take(timeout=30)
        at = _next_record(channel)
        channel._i32[at // 4] = channel._batches.capacity * 2
        with pytest.raises(stoker.StokerError, match="outside the ring"):
            channel.take(timeout=30)
    run.kill()


def test_a_dead_consumer_stops_the_run_and_a_restart_from_its_token_completes_the_epoch(dataset, local):
    run = local(workers=1, epochs=1, batch_size=16, lease_ms=1000)
    dataset_ = StokerDataset(shm_dir=run.rank_dir(0))
    first = []
    for batch in dataset_:
        first += batch.ids
        if len(first) == 5 * 16:
            break
    token = dataset_.state_dict()["resume_token"]
    dataset_.channel._stop.set()  # the consumer dies: no heartbeat any more
    rc, out = run.wait(60)
    assert rc != 0 and "stopped (no heartbeat" in out, out
    dataset_.close()

    again = local("--resume-from", token, workers=1, epochs=1, batch_size=16)
    rest = []
    resumed = StokerDataset(shm_dir=again.rank_dir(0))
    for batch in resumed:
        rest += batch.ids
    assert resumed.channel.outcome == "complete"
    resumed.close()
    assert again.wait()[0] == 0
    assert not set(first) & set(rest), "no sample twice"
    assert len(first) + len(rest) == 1024, "none skipped"


def test_buffer_views_see_each_sample_where_numpy_does_and_are_refused_past_release(local):
    run = local(workers=1, epochs=1, batch_size=16)
    with stoker.Channel(run.rank_dir(0)) as channel:
        batch = channel.take(timeout=30)
        views = batch.buffer_views()
        assert sorted(views) == sorted(set(batch.buffer_of.tolist()))
        for i in range(len(batch)):
            view = views[int(batch.buffer_of[i])]
            start, length = int(batch.within[i]), int(batch.lengths[i])
            sample = batch.numpy(i)
            assert view[start:start + length].ctypes.data == sample.ctypes.data, "the same pool bytes, no copy"
            del sample, view
        with pytest.raises(stoker.ViewStillHeld):
            batch.release()
        del views
        batch.release()
        while (batch := channel.take(timeout=30)) is not None:
            batch.release()
    assert run.wait()[0] == 0


def test_gather_collates_each_sample_in_order_and_outlives_release(local):
    run = local(workers=1, epochs=1, batch_size=16)
    with stoker.Channel(run.rank_dir(0)) as channel:
        batch = channel.take(timeout=30)
        gathered = batch.gather()
        words = batch.gather(np.uint64)
        assert gathered.shape == (len(batch), batch.sample_length)
        for i in range(len(batch)):
            assert gathered[i].tobytes() == batch.numpy(i).tobytes(), f"sample {i} in the batch's order"
        assert words.shape == (len(batch), batch.sample_length // 8)
        assert words.tobytes() == gathered.tobytes()
        assert not np.shares_memory(gathered, np.frombuffer(channel._pool_map, np.uint8)), "a copy, not a view"
        kept = gathered.copy()
        batch.release()
        assert np.array_equal(gathered, kept), "the gathered batch owns its memory: release does not change it"
        with pytest.raises(stoker.StokerError, match="released"):
            batch.gather()
        while (batch := channel.take(timeout=30)) is not None:
            with pytest.raises(stoker.StokerError, match="multiple of 3 bytes"):
                batch.gather(np.dtype("V3"))
            batch.release()
    assert run.wait()[0] == 0


def test_the_ring_holds_at_most_one_batch_the_consumer_has_not_taken(local):
    """A batch is published only once the coordinator confirmed its step, and only when the consumer took the one
    before: what a worker killed with its consumer can lose is that one batch."""
    run = local(workers=1, epochs=1, batch_size=16)
    one_batch = (8 + 40 + 24 * 16 + 7) // 8 * 8
    with stoker.Channel(run.rank_dir(0)) as channel:
        taken = []
        for _ in range(3):
            batch = channel.take(timeout=60)
            assert batch is not None, "batches come, one at a time"
            taken.append(batch.sequence)
            time.sleep(0.3)
            waiting = channel._i64[channel._batches._tail] - channel._i64[channel._batches._head]
            assert 0 < waiting <= one_batch, f"one batch waits in the ring, not more: {waiting} bytes"
            batch.release()
        assert taken == [0, 1, 2]
        while (batch := channel.take(timeout=60)) is not None:
            batch.release()
    assert run.wait()[0] == 0

