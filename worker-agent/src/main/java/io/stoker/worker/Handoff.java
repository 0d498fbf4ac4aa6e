package io.stoker.worker;

/**
 * Where a stage hands what it produced to the next: a sink its chunks, the batch stage its batches.
 *
 * @param <T> what is handed over.
 */
public interface Handoff<T>
{
    /**
     * @return false when the next stage cannot take it now (back pressure): offer it again later.
     */
    boolean offer(T item);

    /**
     * Nothing more will be offered.
     */
    void finish();
}
