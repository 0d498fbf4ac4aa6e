package io.stoker.worker.gpu;

import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

/**
 * {@link WordSum} on the device: a kernel in hand-written PTX, loaded with {@code cuModuleLoadData} so it
 * needs only the driver (no NVRTC, no toolkit). Each thread sums its words in a grid-stride loop, the
 * warp adds its 32 partial sums by shuffles, and lane 0 adds the warp's into the 64-bit result with one
 * atomic. PTX ISA 6.0 for {@code sm_52} and later; the driver compiles it for the GPU at load.
 * <p>
 * The CUDA C it corresponds to:
 * <pre>{@code
 * extern "C" __global__ void stoker_word_sum(const unsigned *words, unsigned long long length,
 *                                            unsigned long long *result)
 * {
 *     unsigned long long count = length >> 2, sum = 0;
 *     unsigned long long first = (unsigned long long)blockIdx.x * blockDim.x + threadIdx.x;
 *     for (unsigned long long i = first; i < count; i += (unsigned long long)gridDim.x * blockDim.x)
 *         sum += (unsigned long long)words[i] * (2 * i + 1);
 *     if (first == 0) {
 *         unsigned last = 0;
 *         for (unsigned b = 0; b < (length & 3); b++)
 *             last |= (unsigned)((const unsigned char *)(words + count))[b] << (8 * b);
 *         sum += (unsigned long long)last * (2 * count + 1);
 *     }
 *     for (int offset = 16; offset > 0; offset >>= 1)
 *         sum += __shfl_down_sync(0xffffffff, sum, offset);
 *     if ((threadIdx.x & 31) == 0)
 *         atomicAdd(result, sum);
 * }
 * }</pre>
 */
public final class WordSumKernel implements AutoCloseable
{
    // The kernel text is kept as written: its line declaring the 64-bit registers runs past 120 columns.
    @SuppressWarnings("checkstyle:LineLength")
    static final String PTX = """
        .version 6.0
        .target sm_52
        .address_size 64

        .visible .entry stoker_word_sum(
            .param .u64 words_param,
            .param .u64 length_param,
            .param .u64 result_param)
        {
            .reg .pred  %done;
            .reg .u64   %words, %length, %result, %count, %i, %stride, %sum, %address, %word, %weight, %other, %tail, %b;
            .reg .u32   %block, %threads, %thread, %blocks, %last, %byte, %shift, %lo, %hi, %offset, %lane;

            ld.param.u64        %words, [words_param];
            ld.param.u64        %length, [length_param];
            ld.param.u64        %result, [result_param];
            cvta.to.global.u64  %words, %words;
            cvta.to.global.u64  %result, %result;
            shr.u64             %count, %length, 2;
            mov.u32             %block, %ctaid.x;
            mov.u32             %threads, %ntid.x;
            mov.u32             %thread, %tid.x;
            mov.u32             %blocks, %nctaid.x;
            mul.wide.u32        %i, %block, %threads;
            cvt.u64.u32         %address, %thread;
            add.u64             %i, %i, %address;
            mul.wide.u32        %stride, %blocks, %threads;
            mov.u64             %sum, 0;

            // Grid-stride loop over the whole words.
        WORDS:
            setp.ge.u64         %done, %i, %count;
            @%done bra          TAIL;
            shl.b64             %address, %i, 2;
            add.u64             %address, %words, %address;
            ld.global.u32       %word, [%address];
            shl.b64             %weight, %i, 1;
            or.b64              %weight, %weight, 1;
            mad.lo.u64          %sum, %word, %weight, %sum;
            add.u64             %i, %i, %stride;
            bra.uni             WORDS;

            // The first thread of the grid adds the last, zero-padded word.
        TAIL:
            or.b32              %lane, %block, %thread;
            setp.ne.u32         %done, %lane, 0;
            @%done bra          REDUCE;
            and.b64             %tail, %length, 3;
            shl.b64             %address, %count, 2;
            add.u64             %address, %words, %address;
            mov.u32             %last, 0;
            mov.u64             %b, 0;
        TAIL_BYTES:
            setp.ge.u64         %done, %b, %tail;
            @%done bra          TAIL_ADD;
            ld.global.u8        %byte, [%address];
            cvt.u32.u64         %shift, %b;
            shl.b32             %shift, %shift, 3;
            shl.b32             %byte, %byte, %shift;
            or.b32              %last, %last, %byte;
            add.u64             %address, %address, 1;
            add.u64             %b, %b, 1;
            bra.uni             TAIL_BYTES;
        TAIL_ADD:
            cvt.u64.u32         %word, %last;
            shl.b64             %weight, %count, 1;
            or.b64              %weight, %weight, 1;
            mad.lo.u64          %sum, %word, %weight, %sum;

            // Sum over the warp, the 64-bit value shuffled as two halves; lane 0 adds it to the result.
        REDUCE:
            mov.u32             %offset, 16;
        REDUCE_STEP:
            mov.b64             {%lo, %hi}, %sum;
            shfl.sync.down.b32  %lo, %lo, %offset, 31, 0xffffffff;
            shfl.sync.down.b32  %hi, %hi, %offset, 31, 0xffffffff;
            mov.b64             %other, {%lo, %hi};
            add.u64             %sum, %sum, %other;
            shr.u32             %offset, %offset, 1;
            setp.ne.u32         %done, %offset, 0;
            @%done bra.uni      REDUCE_STEP;
            and.b32             %lane, %thread, 31;
            setp.ne.u32         %done, %lane, 0;
            @%done bra          DONE;
            red.global.add.u64  [%result], %sum;
        DONE:
            ret;
        }
        """;

    private static final String ENTRY = "stoker_word_sum";
    private static final int THREADS_PER_BLOCK = 256;
    private static final int MAX_BLOCKS = 1024;

    private final CudaDevice device;
    private final CUmodule module = new CUmodule();
    private final CUfunction function = new CUfunction();

    /**
     * Load the kernel into the device's context; makes it current on the calling thread.
     *
     * @param device where it runs.
     */
    public WordSumKernel(final CudaDevice device)
    {
        this.device = device;
        device.makeCurrent();
        Cuda.check(JCudaDriver.cuModuleLoadData(module, PTX), "cuModuleLoadData of the word-sum kernel");
        Cuda.check(JCudaDriver.cuModuleGetFunction(function, module, ENTRY), "cuModuleGetFunction");
    }

    /**
     * Add the word sum of {@code length} bytes at {@code words} to the 64-bit value at {@code result}
     * (zero it first), asynchronously on {@code stream}. Builds its argument list, so it allocates.
     */
    public void launch(final CUdeviceptr words, final int length, final CUdeviceptr result, final CUstream stream)
    {
        launch(arguments(words, new long[]{ length }, result), length, stream);
    }

    /**
     * Compute the word sum of device memory and wait for it: for tests and examples, not a hot path.
     *
     * @return the same value {@link WordSum#of} gives for the same bytes.
     */
    public long sum(final CUdeviceptr words, final int length)
    {
        device.makeCurrent();
        final CUdeviceptr result = new CUdeviceptr();
        Cuda.check(JCudaDriver.cuMemAlloc(result, Long.BYTES), "cuMemAlloc");
        try
        {
            Cuda.check(JCudaDriver.cuMemsetD32(result, 0, 2), "cuMemsetD32");
            launch(words, length, result, null);
            final long[] value = new long[1];
            Cuda.check(JCudaDriver.cuMemcpyDtoH(Pointer.to(value), result, Long.BYTES), "cuMemcpyDtoH");
            return value[0];
        }
        finally
        {
            JCudaDriver.cuMemFree(result);
        }
    }

    /**
     * @param length read at each launch: set {@code length[0]} before it.
     * @return the kernel's argument list, to build once and launch many times without allocating.
     */
    static Pointer arguments(final CUdeviceptr words, final long[] length, final CUdeviceptr result)
    {
        return Pointer.to(Pointer.to(words), Pointer.to(length), Pointer.to(result));
    }

    void launch(final Pointer arguments, final int length, final CUstream stream)
    {
        final int words = length >>> 2;
        final int blocks = Math.max(1, Math.min(MAX_BLOCKS, (words + THREADS_PER_BLOCK - 1) / THREADS_PER_BLOCK));
        Cuda.check(
            JCudaDriver.cuLaunchKernel(function, blocks, 1, 1, THREADS_PER_BLOCK, 1, 1, 0, stream, arguments, null),
            "cuLaunchKernel of the word-sum kernel");
    }

    @Override
    public void close()
    {
        device.makeCurrent();
        Cuda.check(JCudaDriver.cuModuleUnload(module), "cuModuleUnload");
    }
}
