"""Agrona OneToOneRingBuffer, read and written from Python over a shared mapping (see DESIGN.md, "Shared-memory
channel"): records of an 8-byte header (int32 length including the header, int32 type) aligned to 8 bytes, padding
records of type -1, and a 768-byte trailer after the records holding the tail (offset 128), head cache (256) and
head (384) positions as int64.

Words are read and written through int32/int64 memoryview casts, one aligned load or store each; the ordering the
protocol needs (a record's bytes before its positive length; zeroed bytes before the head moves) relies on stores
staying in program order, as they do on x86-64.
"""

from .errors import StokerError

TRAILER_LENGTH = 768
TAIL_POSITION_OFFSET = 128
HEAD_CACHE_POSITION_OFFSET = 256
HEAD_POSITION_OFFSET = 384
HEADER_LENGTH = 8
ALIGNMENT = 8
PADDING_TYPE = -1


def _align(value, alignment=ALIGNMENT):
    return (value + alignment - 1) & ~(alignment - 1)


class _Ring:
    def __init__(self, mapping, offset, capacity, words):
        if capacity <= 0 or capacity & (capacity - 1):
            raise ValueError(f"ring capacity must be a power of two, was {capacity}")
        self._mm = mapping
        self._base = offset
        self._capacity = capacity
        self._mask = capacity - 1
        self._i32, self._i64 = words
        trailer = offset + capacity
        self._tail = (trailer + TAIL_POSITION_OFFSET) // 8
        self._head_cache = (trailer + HEAD_CACHE_POSITION_OFFSET) // 8
        self._head = (trailer + HEAD_POSITION_OFFSET) // 8

    @property
    def capacity(self):
        return self._capacity


class RingReader(_Ring):
    """The consumer's end of a ring: one record at a time, copied out (records are small descriptors)."""

    def poll(self):
        """Return (type, bytes) of the next record, or None when there is none."""
        while True:
            head = self._i64[self._head]
            index = head & self._mask
            at = self._base + index
            length = self._i32[at // 4]
            if length <= 0:
                return None
            record_type = self._i32[at // 4 + 1]
            aligned = _align(length)
            if length < HEADER_LENGTH or index + aligned > self._capacity:
                raise StokerError(f"ring at offset {self._base}: the record at {index} says {length} bytes, "
                                  f"outside the ring of {self._capacity}")
            data = None if record_type == PADDING_TYPE else bytes(self._mm[at + HEADER_LENGTH:at + length])
            self._mm[at:at + aligned] = bytes(aligned)
            self._i64[self._head] = head + aligned
            if data is not None:
                return record_type, data


class RingWriter(_Ring):
    """The producer's end of a ring, as Agrona's OneToOneRingBuffer.write does it. One thread writes."""

    def max_message_length(self):
        return self._capacity // 8

    def write(self, record_type, payload):
        """Write one record; return False when the ring has no room now."""
        if record_type < 1:
            raise ValueError(f"record type must be positive, was {record_type}")
        if len(payload) > self.max_message_length():
            raise ValueError(f"record of {len(payload)} bytes exceeds {self.max_message_length()}")
        record_length = len(payload) + HEADER_LENGTH
        aligned = _align(record_length)
        required = aligned + HEADER_LENGTH
        i64 = self._i64
        head = i64[self._head_cache]
        tail = i64[self._tail]
        if required > self._capacity - (tail - head):
            head = i64[self._head]
            if required > self._capacity - (tail - head):
                return False
            i64[self._head_cache] = head
        index = tail & self._mask
        to_end = self._capacity - index
        write_index = index
        next_tail = tail + aligned
        padding = 0
        if aligned == to_end:
            i64[self._tail] = next_tail
            i64[self._base // 8] = 0
        else:
            if required > to_end:
                write_index = 0
                head_index = head & self._mask
                if required > head_index:
                    head = i64[self._head]
                    head_index = head & self._mask
                    if required > head_index:
                        return False
                    i64[self._head_cache] = head
                padding = to_end
                next_tail += padding
            i64[self._tail] = next_tail
            if padding:
                i64[self._base // 8] = 0
                at = (self._base + index) // 4
                self._i32[at] = -padding
                self._i32[at + 1] = PADDING_TYPE
                self._i32[at] = padding
            i64[(self._base + write_index + aligned) // 8] = 0
        at = self._base + write_index
        self._i32[at // 4] = -record_length
        self._mm[at + HEADER_LENGTH:at + record_length] = payload
        self._i32[at // 4 + 1] = record_type
        self._i32[at // 4] = record_length
        return True
