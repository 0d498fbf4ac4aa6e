"""A batch descriptor off the ring is hostile until checked: `Batch` refuses any sample outside one pool buffer before
a view of it can be made. Fed here without a worker: descriptors built by hand against a channel's geometry."""

import types

import numpy as np
import pytest

import stoker
from stoker.channel import _BATCH_HEADER, _SAMPLE, Batch

BUFFER_LENGTH = 4 * 4096
BUFFER_COUNT = 3


def channel():
    return types.SimpleNamespace(directory="/dev/shm/test", on_device=False, buffer_length=BUFFER_LENGTH,
                                 buffer_count=BUFFER_COUNT, pool_length=BUFFER_LENGTH * BUFFER_COUNT)


def descriptor(samples, sample_length=0):
    table = np.zeros(len(samples), dtype=_SAMPLE)
    for i, (offset, length) in enumerate(samples):
        table[i] = (offset, length, 7, i, 0)
    return _BATCH_HEADER.pack(11, 0, 0, 0, 5, 0, len(samples), 0, sample_length) + table.tobytes()


def inside(offset, length):
    """The reference check, one sample at a time."""
    return offset >= 0 and length >= 0 and offset // BUFFER_LENGTH < BUFFER_COUNT \
        and offset % BUFFER_LENGTH + length <= BUFFER_LENGTH


def test_samples_inside_their_buffers_make_a_batch_with_each_samples_place():
    good = [(0, 4096), (BUFFER_LENGTH - 4096, 4096), (BUFFER_LENGTH * 2 + 8, 100), (BUFFER_LENGTH * 3 - 1, 1)]
    batch = Batch(channel(), descriptor(good))
    assert batch.size == 4
    assert batch.buffer_of.tolist() == [0, 0, 2, 2]
    assert batch.within.tolist() == [0, BUFFER_LENGTH - 4096, 8, BUFFER_LENGTH - 1]
    assert batch.lengths.tolist() == [4096, 4096, 100, 1]
    assert batch.ids == [(7, 0), (7, 1), (7, 2), (7, 3)]


@pytest.mark.parametrize("bad", [
    (-4096, 4096),                                # before the pool
    (4096, -1),                                   # a negative length
    (BUFFER_LENGTH * BUFFER_COUNT, 1),            # past the last buffer
    (BUFFER_LENGTH - 4096, 4096 + 1),             # across the end of its buffer
    (2 ** 62, 4096),                              # far past the pool
])
def test_a_sample_outside_one_pool_buffer_is_refused_naming_it(bad):
    samples = [(0, 4096), (4096, 4096), bad]
    assert Batch(channel(), descriptor(samples[:2])).size == 2  # positive control: the same batch without it
    with pytest.raises(stoker.StokerError, match=r"bad batch descriptor 11: sample 2 names bytes .* outside"):
        Batch(channel(), descriptor(samples))


def test_random_descriptors_give_a_batch_exactly_when_every_sample_is_inside_one_buffer():
    rng = np.random.default_rng(3)
    taken = refused = 0
    for _ in range(2000):
        n = int(rng.integers(1, 9))
        offsets = rng.integers(-2 * BUFFER_LENGTH, (BUFFER_COUNT + 1) * BUFFER_LENGTH, n)
        lengths = rng.integers(-16, BUFFER_LENGTH // 2, n)
        samples = list(zip(offsets.tolist(), lengths.tolist()))
        expected = all(inside(o, l) for o, l in samples)
        try:
            batch = Batch(channel(), descriptor(samples))
        except stoker.StokerError:
            assert not expected, samples
            refused += 1
            continue
        assert expected, samples
        taken += 1
        assert all(0 <= w and w + l <= BUFFER_LENGTH for w, l in zip(batch.within.tolist(), batch.lengths.tolist()))
    assert taken > 100 and refused > 100
