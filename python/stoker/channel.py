"""The consumer's end of a Stoker worker's shared-memory channel (`--sink shm`): attach to its directory, take
batches whose samples are views into the worker's pool (no copy), release them, heartbeat, read the resume token.
With `--sink shm-gpu` the samples are in the worker's CUDA device slots instead, opened through CUDA IPC
(`stoker.cuda`), and `tensor(i)` is a torch tensor on the device.
"""

import ctypes
import gc
import mmap
import os
import sys
import struct
import threading
import time

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .errors import StokerError, ViewStillHeld, WorkerGone
from .ring import TRAILER_LENGTH, RingReader, RingWriter

MAGIC = struct.unpack("<q", b"STOKSHM1")[0]
VERSION = 4
HEADER_LENGTH = 4096
IPC_HANDLES_OFFSET = 4096
IPC_HANDLE_LENGTH = 64
MEMORY_HOST_POOL, MEMORY_CUDA_SLOTS = 0, 1
TOKEN_OFFSET = 1024

STATE_STARTING, STATE_RUNNING, STATE_FINISHED, STATE_CONSUMER_LOST, STATE_CLOSED = range(5)
MSG_BATCH, MSG_END = 1, 2
MSG_RELEASE = 1
OUTCOMES = {0: "complete", 1: "incomplete", 2: "stopped"}

_BATCH_HEADER = struct.Struct("<qiiiiiiii")
_SAMPLE = np.dtype([("offset", "<i8"), ("length", "<i4"), ("chunk", "<i4"), ("record", "<i4"), ("slot", "<i4")])
_RELEASE = struct.Struct("<q")
# take()'s wait on an empty ring: polls at once, then sleeps from the shortest to the longest, in seconds.
_TAKE_SPINS, _TAKE_MIN_SLEEP, _TAKE_MAX_SLEEP = 20, 0.00005, 0.0005


# A batch's object over a pool buffer referenced by the batch alone: its dict entry and getrefcount's argument.
_UNREFERENCED = 2


def rank_dir(root, rank):
    """Rank r's directory under `stoker local --sink shm --shm-dir ROOT`."""
    return os.path.join(root, f"rank-{rank}")


class Batch:
    """One step of a rank's stream. Sample i is bytes of the worker's pool: `numpy(i)` / `tensor(i)` are views of
    them (no copy), valid until `release()`. Release only once every view was dropped: a view still referenced makes
    `release()` raise `ViewStillHeld` and the batch stays held (the worker does not reuse its memory).

    On a `--sink shm-gpu` channel (`batch.on_device`) sample i is bytes of one of the worker's device slots:
    `tensor(i)` is a uint8 tensor on that device (no copy), `numpy(i)` is refused; `release()` synchronizes the
    current torch stream first, so the worker overwrites the slot only after this process' kernels read it."""

    def __init__(self, channel, data):
        (self.sequence, self.epoch, self.segment, self.stream, self.step, self.rank, self.size, self.missing,
         self.sample_length) = _BATCH_HEADER.unpack_from(data, 0)
        if self.size < 0 or len(data) < _BATCH_HEADER.size + self.size * _SAMPLE.itemsize:
            raise StokerError(f"channel {channel.directory}: bad batch descriptor {self.sequence}: {self.size} "
                              f"samples in a record of {len(data)} bytes")
        # The fields are views of the descriptor's own bytes (a copy taken off the ring), so nothing more is copied.
        samples = np.frombuffer(data, dtype=_SAMPLE, count=self.size, offset=_BATCH_HEADER.size)
        self._channel = channel
        self.offsets = samples["offset"]
        self.lengths = samples["length"]
        self.chunks = samples["chunk"]
        self.records = samples["record"]
        self.slots = samples["slot"]
        self.on_device = channel.on_device
        if self.on_device:
            self.buffer_of, self.within = self.slots, self.offsets
        else:
            self.buffer_of, self.within = np.divmod(self.offsets, channel.buffer_length)
            if self.size and (self.buffer_of.min() < 0 or self.lengths.min() < 0
                              or self.buffer_of.max() >= channel.buffer_count
                              or (self.within + self.lengths).max() > channel.buffer_length):
                self._refuse_outside(channel)
        self._maps = {}
        self._device_views = []
        self.released = False

    def _refuse_outside(self, channel):
        bad = np.flatnonzero((self.offsets < 0) | (self.lengths < 0) | (self.buffer_of >= channel.buffer_count)
                             | (self.within + self.lengths > channel.buffer_length))
        i = int(bad[0])
        raise StokerError(f"channel {channel.directory}: bad batch descriptor {self.sequence}: sample {i} names "
                          f"bytes {int(self.offsets[i])}..{int(self.offsets[i]) + int(self.lengths[i])} of the pool, "
                          f"outside its {channel.buffer_count} buffers of {channel.buffer_length} bytes")

    def __len__(self):
        return self.size

    def __repr__(self):
        return (f"Batch(seq {self.sequence}: epoch {self.epoch} stream {self.stream} step {self.step}, "
                f"{self.size} samples)")

    def describe(self):
        return f"batch {self.sequence} (epoch {self.epoch}, stream {self.stream}, step {self.step})"

    @property
    def ids(self):
        """Each sample's id, stable across runs: (chunk id, record)."""
        return list(zip(self.chunks.tolist(), self.records.tolist()))

    def _map(self, buffer):
        """The batch's own object over one pool buffer: a ctypes array on the channel's one mapping of the pool, so
        no page is mapped or faulted again per batch. Every view of the batch's samples refers to it (numpy's base
        memoryview holds it), which is how `release()` tells that a view is still referenced."""
        view = self._maps.get(buffer)
        if view is None:
            view = self._channel._buffer_type.from_buffer(self._channel._pool_map, buffer * self._channel.buffer_length)
            self._maps[buffer] = view
        return view

    def _held(self):
        """Pool buffers of the batch that a view still refers to: more references than the batch's own one (and
        getrefcount's argument)."""
        return [buffer for buffer in self._maps if sys.getrefcount(self._maps[buffer]) > _UNREFERENCED]

    def numpy(self, i, dtype=np.uint8):
        """Sample i as a numpy array over the pool's memory (no copy)."""
        if self.on_device:
            raise StokerError(f"{self.describe()}: its samples are in device memory (--sink shm-gpu); use tensor(i)")
        if self.released:
            raise StokerError(f"{self.describe()} was released; its samples are gone")
        if not 0 <= i < self.size:
            raise IndexError(f"sample {i} of {self.size}")
        offset = int(self.offsets[i])
        buffer, within = divmod(offset, self._channel.buffer_length)
        itemsize = np.dtype(dtype).itemsize
        return np.frombuffer(self._map(buffer), dtype=dtype, count=int(self.lengths[i]) // itemsize, offset=within)

    def buffer_views(self, dtype=np.uint8):
        """The batch's samples without a view per sample: {pool buffer: numpy array over that whole buffer (no
        copy)}, one per buffer the batch uses. Sample i is bytes [within[i], within[i] + lengths[i]) of the array of
        buffer_of[i] (`buffer_of`, `within`, `lengths`: numpy arrays, one entry per sample), so vectorised code can
        gather or reduce the samples without a Python call per sample. Valid until release, as `numpy(i)`; the
        arrays also see the buffer's other bytes, which belong to other batches or to none."""
        if self.released:
            raise StokerError(f"{self.describe()} was released; its samples are gone")
        return {buffer: np.frombuffer(self._map(buffer), dtype=dtype) for buffer in np.unique(self.buffer_of).tolist()}

    def gather(self, dtype=np.uint8):
        """The batch's samples gathered into one new array of shape (size, sample_length / itemsize): the one copy a
        collate makes (as `torch.stack(batch.tensors())`), in a single numpy call, without a view object per sample.
        The result owns its memory, so it stays valid after `release()`. Needs samples of one length
        (`sample_length`), a multiple of the dtype's size, at offsets aligned to it."""
        if self.on_device:
            raise StokerError(f"{self.describe()}: its samples are in device memory (--sink shm-gpu); use tensor(i)")
        if self.released:
            raise StokerError(f"{self.describe()} was released; its samples are gone")
        itemsize = np.dtype(dtype).itemsize
        length = self.sample_length
        if length <= 0 or length % itemsize or np.any(self.offsets % itemsize):
            raise StokerError(f"{self.describe()}: gather needs samples of one length, a multiple of {itemsize} bytes, "
                              f"at offsets aligned to it (sample length {length}); use samples() or tensors()")
        if self.size and (int(self.offsets.min()) < 0
                          or int(self.offsets.max()) + length > self._channel.pool_length):
            raise StokerError(f"{self.describe()}: a sample lies outside the pool of {self._channel.pool_length} "
                              f"bytes")
        return self._channel._rows(dtype, length // itemsize)[self.offsets // itemsize]

    def tensor(self, i, dtype=None):
        """Sample i as a torch tensor sharing the pool's memory (no copy): torch.from_numpy of `numpy(i)`, which
        keeps the mapping's export, so a tensor kept past release is refused instead of dangling."""
        if self.on_device:
            return self._device_tensor(i, dtype)
        import torch
        array = self.numpy(i, np.uint8)
        tensor = torch.from_numpy(array)
        return tensor if dtype is None else tensor.view(dtype)

    def _device_tensor(self, i, dtype):
        from .cuda import DeviceBytes
        import torch
        if self.released:
            raise StokerError(f"{self.describe()} was released; its samples are gone")
        if not 0 <= i < self.size:
            raise IndexError(f"sample {i} of {self.size}")
        slots = self._channel.device_slots
        slot, offset, length = int(self.slots[i]), int(self.offsets[i]), int(self.lengths[i])
        if not 0 <= slot < len(slots._handles) or offset < 0 or offset + length > slots.slot_length:
            raise StokerError(f"{self.describe()}: sample {i} names bytes {offset}..{offset + length} of slot {slot}, "
                              f"outside the channel's {len(slots._handles)} slots of {slots.slot_length} bytes")
        view = DeviceBytes(slots.pointer(slot) + offset, length)
        self._device_views.append(view)
        tensor = torch.as_tensor(view, device=f"cuda:{slots.device}")
        return tensor if dtype is None else tensor.view(dtype)

    def _device_views_held(self):
        import sys
        # a view's references: the list, getrefcount's argument; a live tensor adds one
        return any(sys.getrefcount(view) > 3 for view in self._device_views)

    def _release_device(self):
        import torch
        if self._device_views_held():
            gc.collect()
            if self._device_views_held():
                raise ViewStillHeld(
                    f"{self.describe()}: a tensor of its samples is still referenced; drop it (or clone what you "
                    f"keep) before release. The batch is not released, so the worker will not reuse its slots")
        if self._device_views:
            torch.cuda.current_stream(self._channel.device).synchronize()
        self._device_views = []

    def samples(self, dtype=np.uint8):
        return [self.numpy(i, dtype) for i in range(self.size)]

    def tensors(self, dtype=None):
        return [self.tensor(i, dtype) for i in range(self.size)]

    def release(self):
        """Done with the step: release the batch's views of the pool and tell the worker, which acknowledges the step.
        Raises ViewStillHeld (and tells the worker nothing) while a view of a sample is still referenced."""
        if self.released:
            return
        if self.on_device:
            self._release_device()
        if self._held():
            gc.collect()
        if self._held():
            raise ViewStillHeld(
                f"{self.describe()}: a view of its samples (numpy array or tensor) is still referenced; drop it "
                f"(or copy what you keep) before release. The batch is not released, so the worker will not reuse "
                f"its memory")
        self._maps.clear()
        self.released = True
        self._channel._release(self.sequence)


class Channel:
    """Attach to a worker's channel directory (`DIR` of `stoker worker --sink shm --shm-dir DIR`, or `DIR/rank-r` of
    `stoker local`). Use from one thread; a background thread renews the consumer's heartbeat."""

    def __init__(self, directory, attach_timeout=60.0, process=None):
        self.directory = directory
        self._process = process
        path = os.path.join(directory, "channel")
        deadline = time.monotonic() + attach_timeout
        while True:
            self._check_process()
            try:
                with open(path, "r+b") as f:
                    mapping = mmap.mmap(f.fileno(), 0)
                if mapping.size() >= HEADER_LENGTH and struct.unpack_from("<q", mapping, 0)[0] == MAGIC:
                    break
                mapping.close()
            except (FileNotFoundError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise StokerError(f"no Stoker channel in {directory} after {attach_timeout} s (is the worker "
                                  f"started with --sink shm --shm-dir {directory}?)")
            time.sleep(0.02)
        self._mm = mapping
        self._i32 = memoryview(mapping).cast("i")
        self._i64 = memoryview(mapping).cast("q")
        version = self._i32[2]
        if version != VERSION:
            raise StokerError(f"channel {path}: layout version {version}, this package reads {VERSION}")
        self.memory = self._i32[28]
        self.device = self._i32[29]
        slot_count = self._i32[30]
        slot_length = self._i32[31]
        header_length = self._i32[32]
        self.on_device = self.memory == MEMORY_CUDA_SLOTS
        self.device_slots = None
        if self.on_device:
            from .cuda import IpcSlots, unavailable_reason
            reason = unavailable_reason()
            if reason is not None:
                raise StokerError(f"channel {path} holds CUDA device slots (--sink shm-gpu), but {reason}")
            handles = [bytes(mapping[IPC_HANDLES_OFFSET + IPC_HANDLE_LENGTH * i:
                                     IPC_HANDLES_OFFSET + IPC_HANDLE_LENGTH * (i + 1)]) for i in range(slot_count)]
            self.device_slots = IpcSlots(self.device, slot_length, handles)
        self.rank = self._i32[3]
        self.pid = self._i64[2]
        self.pool_length = self._i64[3]
        self.buffer_length = self._i32[8]
        self.buffer_count = self._i32[9]
        batches_capacity = self._i32[10]
        releases_capacity = self._i32[11]
        self.batch_size = self._i32[12]
        self.epochs = self._i32[13]
        self.lease_ms = self._i32[19]
        self.world_size = self._i32[25]
        self.seed = self._i64[13]
        words = (self._i32, self._i64)
        self._batches = RingReader(mapping, header_length, batches_capacity, words)
        self._releases = RingWriter(mapping, header_length + batches_capacity + TRAILER_LENGTH, releases_capacity,
                                    words)
        self._pool_map = None
        if not self.on_device:
            pool_fd = os.open(os.path.join(directory, "pool"), os.O_RDWR)
            try:
                self._pool_map = mmap.mmap(pool_fd, self.pool_length)
            finally:
                os.close(pool_fd)
            self._buffer_type = ctypes.c_char * self.buffer_length
        self._row_views = {}
        self._releases_sent = 0
        self.ended = False
        self.outcome = None
        self._closed = False
        self._heartbeat()
        self._stop = threading.Event()
        interval = max(0.05, min(0.5, self.lease_ms / 5000.0))
        self._thread = threading.Thread(target=self._beat, args=(interval,), name="stoker-heartbeat", daemon=True)
        self._thread.start()

    def _heartbeat(self):
        self._i64[8] = int(time.time() * 1000)

    def _beat(self, interval):
        while not self._stop.wait(interval):
            try:
                self._heartbeat()
            except ValueError:
                return

    def _check_process(self):
        if self._process is not None and self._process.poll() is not None:
            raise WorkerGone(f"the worker process (pid {self._process.pid}) exited with status "
                             f"{self._process.returncode} before the job ended")

    def _check_worker(self):
        state = self._i32[18]
        if state == STATE_CONSUMER_LOST:
            raise WorkerGone(f"the worker of {self.directory} stopped: it heard no heartbeat from this consumer for "
                             f"{self.lease_ms} ms")
        if state == STATE_CLOSED:
            raise WorkerGone(f"the worker of {self.directory} (pid {self.pid}) closed the channel before the job "
                             f"ended")
        self._check_process()
        alive = True
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            alive = False
        except PermissionError:
            pass
        stale = time.time() * 1000 - self._i64[7] > self.lease_ms
        if not alive or stale:
            why = "exited" if not alive else f"sent no heartbeat for {self.lease_ms} ms"
            raise WorkerGone(f"the worker of {self.directory} (pid {self.pid}) {why} before the job ended")

    def poll(self):
        """The next batch, None when none is ready now; raises StopIteration-free: see `take`. Every batch in the
        ring is this rank's: the worker publishes one only once the coordinator confirmed its step, and only when
        this consumer took the one before."""
        if self.ended:
            return None
        record = self._batches.poll()
        if record is None:
            return None
        record_type, data = record
        if record_type == MSG_BATCH:
            return Batch(self, data)
        if record_type == MSG_END:
            self.ended = True
            self.outcome = OUTCOMES.get(struct.unpack_from("<i", data, 8)[0], "unknown")
            return None
        raise StokerError(f"channel {self.directory}: unknown record type {record_type}")

    def take(self, timeout=None):
        """Wait for the next batch; None once the job ended. Raises WorkerGone when the worker died first.

        While the ring is empty it polls again at once a few times, then sleeps, 50 us at first and twice as long
        each time up to 0.5 ms: the worker feeding it shares the machine's cores, and a consumer spinning on an empty
        ring takes the time the worker needs to fill it."""
        deadline = None if timeout is None else time.monotonic() + timeout
        idle = 0
        last_check = 0.0
        while True:
            batch = self.poll()
            if batch is not None or self.ended:
                return batch
            if self._i32[18] == STATE_FINISHED:
                continue
            idle += 1
            if idle <= _TAKE_SPINS:
                continue
            now = time.monotonic()
            if now - last_check > 0.1:
                self._check_worker()
                last_check = now
            if deadline is not None and now > deadline:
                raise TimeoutError(f"no batch from {self.directory} in {timeout} s")
            time.sleep(min(_TAKE_MAX_SLEEP, _TAKE_MIN_SLEEP * (1 << min(idle - _TAKE_SPINS - 1, 4))))

    def _release(self, sequence):
        payload = _RELEASE.pack(sequence)
        while not self._releases.write(MSG_RELEASE, payload):
            self._check_worker()
            time.sleep(0.0005)
        self._releases_sent += 1

    def _rows(self, dtype, words):
        """The pool as overlapping rows of `words` items of dtype, one starting at every item (a strided view, no
        copy): row k is the sample at byte offset k * itemsize. Made once per (dtype, words) and kept."""
        key = (np.dtype(dtype), words)
        rows = self._row_views.get(key)
        if rows is None:
            items = np.frombuffer(self._pool_map, dtype=dtype)
            rows = as_strided(items, shape=(items.size - words + 1, words),
                              strides=(items.itemsize, items.itemsize), writeable=False)
            self._row_views[key] = rows
        return rows

    @property
    def releases_sent(self):
        return self._releases_sent

    def resume_token(self, timeout=10.0):
        """The worker's resume token once it applied every release sent so far: where a restart resumes."""
        deadline = time.monotonic() + timeout
        while True:
            sequence = self._i64[11]
            if sequence % 2 == 0 and self._i64[10] >= self._releases_sent:
                length = self._i32[24]
                token = bytes(self._mm[TOKEN_OFFSET:TOKEN_OFFSET + length]).decode("ascii")
                if self._i64[11] == sequence:
                    return token
            if time.monotonic() > deadline:
                raise StokerError(f"the worker of {self.directory} did not publish a token covering "
                                  f"{self._releases_sent} releases in {timeout} s")
            if not self.ended and self._i32[18] not in (STATE_RUNNING, STATE_FINISHED):
                self._check_worker()
            time.sleep(0.001)

    def close(self):
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        self._thread.join()
        self._i32.release()
        self._i64.release()
        self._mm.close()
        if self.device_slots is not None:
            self.device_slots.close()
        self._row_views.clear()
        if self._pool_map is not None:
            try:
                self._pool_map.close()
            except BufferError:
                pass  # a batch not released still has views: the mapping stays, so they never see unmapped memory

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
