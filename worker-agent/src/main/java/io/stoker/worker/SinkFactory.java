package io.stoker.worker;

/**
 * Makes a worker's sink once the worker knows how large its buffers must be.
 *
 * @param <C> the kind of chunk the consumer receives.
 */
public interface SinkFactory<C extends Chunk>
{
    /**
     * @return where the worker's buffer pool gets its memory: pinned memory for a GPU sink.
     */
    HostMemoryAllocator allocator();

    /**
     * @param pool the worker's buffers.
     * @param next where the sink delivers chunks: the batch stage.
     * @return a sink over the pool.
     */
    ChunkSink newSink(BufferPool pool, Handoff<C> next);

    /**
     * The default: chunks stay in host memory and the consumer reads the pool's buffers.
     */
    SinkFactory<HostChunk> HOST = new SinkFactory<>()
    {
        private final HostMemoryAllocator allocator = new DirectMemoryAllocator();

        @Override
        public HostMemoryAllocator allocator()
        {
            return allocator;
        }

        @Override
        public ChunkSink newSink(final BufferPool pool, final Handoff<HostChunk> next)
        {
            return new HostSink(pool, next);
        }
    };
}
