using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Vae.MLNet.Model;

/// <summary>Managed dense-layer kernels for inference. Every output is accumulated input by input in the same
/// order with the same operations whatever the batch size or the thread, so a row gives bit-identical results alone, in any batch, on any
/// thread: the batched transform and the single-row prediction engine agree exactly.</summary>
internal static class DenseKernels
{
    private const int RowBlock = 4;
    private const long ParallelThreshold = 1L << 18; // multiply-adds below which threads cost more than they save

    /// <summary>output (rows x Out) = activation(input (rows x In) W^T + b); a large enough batch is split over the
    /// processors unless <paramref name="parallel"/> is false (the caller splits the work itself).</summary>
    public static void Forward(DenseLayer layer, ReadOnlySpan<float> input, int rows, Span<float> output, VaeActivation? activation, bool parallel = true)
    {
        var work = (long)rows * layer.In * layer.Out;
        var blocks = (rows + RowBlock - 1) / RowBlock;
        if (!parallel || work < ParallelThreshold || blocks < 2 || Environment.ProcessorCount < 2)
        {
            ForwardRows(layer, input, 0, rows, output, activation);
            return;
        }

        unsafe
        {
            fixed (float* inPtr = input)
            fixed (float* outPtr = output)
            {
                var inAddress = (nint)inPtr;
                var outAddress = (nint)outPtr;
                var inLength = input.Length;
                var outLength = output.Length;
                var chunks = Math.Min(Environment.ProcessorCount * 4, blocks);
                Parallel.For(0, chunks, chunk =>
                {
                    var start = (int)((long)blocks * chunk / chunks) * RowBlock;
                    var end = Math.Min(rows, (int)((long)blocks * (chunk + 1) / chunks) * RowBlock);
                    var source = new ReadOnlySpan<float>((void*)inAddress, inLength);
                    var destination = new Span<float>((void*)outAddress, outLength);
                    ForwardRows(layer, source, start, end, destination, activation);
                });
            }
        }
    }

    /// <summary>Rows [start, end): each block of 4 rows times 16 outputs accumulates input k's broadcast value times
    /// the packed weights of input k, k in order, in eight registers (the outer-product form: no horizontal sums, one
    /// weight load per four rows); a remaining row runs the same per-lane operations alone.</summary>
    private static void ForwardRows(DenseLayer layer, ReadOnlySpan<float> input, int start, int end, Span<float> output, VaeActivation? activation)
    {
        var n = layer.In;
        var m = layer.Out;
        var padded = layer.PaddedOut;
        ReadOnlySpan<float> packed = layer.Packed;
        var bias = packed.Slice(n * padded, padded);
        Span<float> staging = stackalloc float[RowBlock * 32];
        var r = start;
        for (; r + RowBlock <= end; r += RowBlock)
        {
            var o = 0;
            if (Avx512F.IsSupported && Fma.IsSupported)
            {
                for (; o + 32 <= padded; o += 32)
                {
                    Block4x32(packed, padded, n, o, input.Slice(r * n, RowBlock * n), staging);
                    Store(staging, RowBlock, 32, bias.Slice(o, 32), output, r, m, o, activation);
                }
            }

            for (; o + 16 <= padded; o += 16)
            {
                Block4x16(packed, padded, n, o, input.Slice(r * n, RowBlock * n), staging);
                Store(staging, RowBlock, 16, bias.Slice(o, 16), output, r, m, o, activation);
            }

            if (o < padded)
            {
                Block4x8(packed, padded, n, o, input.Slice(r * n, RowBlock * n), staging);
                Store(staging, RowBlock, 8, bias.Slice(o, 8), output, r, m, o, activation);
            }
        }

        for (; r < end; r++)
        {
            for (var o = 0; o < padded; o += 8)
            {
                Row1x8(packed, padded, n, o, input.Slice(r * n, n), staging);
                Store(staging, 1, 8, bias.Slice(o, 8), output, r, m, o, activation);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> MultiplyAdd(Vector256<float> x, Vector256<float> w, Vector256<float> acc) =>
        Fma.IsSupported ? Fma.MultiplyAdd(x, w, acc) : (x * w) + acc;

    private static void Block4x16(ReadOnlySpan<float> packed, int padded, int n, int o, ReadOnlySpan<float> rows, Span<float> result)
    {
        ref var w = ref MemoryMarshal.GetReference(packed);
        ref var x = ref MemoryMarshal.GetReference(rows);
        Vector256<float> a00 = default, a01 = default, a10 = default, a11 = default;
        Vector256<float> a20 = default, a21 = default, a30 = default, a31 = default;
        for (var k = 0; k < n; k++)
        {
            var offset = (nuint)((k * padded) + o);
            var w0 = Vector256.LoadUnsafe(ref w, offset);
            var w1 = Vector256.LoadUnsafe(ref w, offset + 8);
            var x0 = Vector256.Create(Unsafe.Add(ref x, k));
            var x1 = Vector256.Create(Unsafe.Add(ref x, n + k));
            var x2 = Vector256.Create(Unsafe.Add(ref x, (2 * n) + k));
            var x3 = Vector256.Create(Unsafe.Add(ref x, (3 * n) + k));
            a00 = MultiplyAdd(x0, w0, a00);
            a01 = MultiplyAdd(x0, w1, a01);
            a10 = MultiplyAdd(x1, w0, a10);
            a11 = MultiplyAdd(x1, w1, a11);
            a20 = MultiplyAdd(x2, w0, a20);
            a21 = MultiplyAdd(x2, w1, a21);
            a30 = MultiplyAdd(x3, w0, a30);
            a31 = MultiplyAdd(x3, w1, a31);
        }

        a00.CopyTo(result);
        a01.CopyTo(result[8..]);
        a10.CopyTo(result[16..]);
        a11.CopyTo(result[24..]);
        a20.CopyTo(result[32..]);
        a21.CopyTo(result[40..]);
        a30.CopyTo(result[48..]);
        a31.CopyTo(result[56..]);
    }

    /// <summary>4 rows x 32 outputs in 512-bit registers: the same per-lane fused multiply-adds as the 256-bit
    /// blocks (a lane's result does not depend on the register's width), half the instructions.</summary>
    private static void Block4x32(ReadOnlySpan<float> packed, int padded, int n, int o, ReadOnlySpan<float> rows, Span<float> result)
    {
        ref var w = ref MemoryMarshal.GetReference(packed);
        ref var x = ref MemoryMarshal.GetReference(rows);
        Vector512<float> a00 = default, a01 = default, a10 = default, a11 = default;
        Vector512<float> a20 = default, a21 = default, a30 = default, a31 = default;
        for (var k = 0; k < n; k++)
        {
            var offset = (nuint)((k * padded) + o);
            var w0 = Vector512.LoadUnsafe(ref w, offset);
            var w1 = Vector512.LoadUnsafe(ref w, offset + 16);
            var x0 = Vector512.Create(Unsafe.Add(ref x, k));
            var x1 = Vector512.Create(Unsafe.Add(ref x, n + k));
            var x2 = Vector512.Create(Unsafe.Add(ref x, (2 * n) + k));
            var x3 = Vector512.Create(Unsafe.Add(ref x, (3 * n) + k));
            a00 = Avx512F.FusedMultiplyAdd(x0, w0, a00);
            a01 = Avx512F.FusedMultiplyAdd(x0, w1, a01);
            a10 = Avx512F.FusedMultiplyAdd(x1, w0, a10);
            a11 = Avx512F.FusedMultiplyAdd(x1, w1, a11);
            a20 = Avx512F.FusedMultiplyAdd(x2, w0, a20);
            a21 = Avx512F.FusedMultiplyAdd(x2, w1, a21);
            a30 = Avx512F.FusedMultiplyAdd(x3, w0, a30);
            a31 = Avx512F.FusedMultiplyAdd(x3, w1, a31);
        }

        a00.CopyTo(result);
        a01.CopyTo(result[16..]);
        a10.CopyTo(result[32..]);
        a11.CopyTo(result[48..]);
        a20.CopyTo(result[64..]);
        a21.CopyTo(result[80..]);
        a30.CopyTo(result[96..]);
        a31.CopyTo(result[112..]);
    }

    private static void Block4x8(ReadOnlySpan<float> packed, int padded, int n, int o, ReadOnlySpan<float> rows, Span<float> result)
    {
        ref var w = ref MemoryMarshal.GetReference(packed);
        ref var x = ref MemoryMarshal.GetReference(rows);
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (var k = 0; k < n; k++)
        {
            var w0 = Vector256.LoadUnsafe(ref w, (nuint)((k * padded) + o));
            a0 = MultiplyAdd(Vector256.Create(Unsafe.Add(ref x, k)), w0, a0);
            a1 = MultiplyAdd(Vector256.Create(Unsafe.Add(ref x, n + k)), w0, a1);
            a2 = MultiplyAdd(Vector256.Create(Unsafe.Add(ref x, (2 * n) + k)), w0, a2);
            a3 = MultiplyAdd(Vector256.Create(Unsafe.Add(ref x, (3 * n) + k)), w0, a3);
        }

        a0.CopyTo(result);
        a1.CopyTo(result[8..]);
        a2.CopyTo(result[16..]);
        a3.CopyTo(result[24..]);
    }

    private static void Row1x8(ReadOnlySpan<float> packed, int padded, int n, int o, ReadOnlySpan<float> row, Span<float> result)
    {
        ref var w = ref MemoryMarshal.GetReference(packed);
        ref var x = ref MemoryMarshal.GetReference(row);
        var a = Vector256<float>.Zero;
        for (var k = 0; k < n; k++)
        {
            a = MultiplyAdd(Vector256.Create(Unsafe.Add(ref x, k)), Vector256.LoadUnsafe(ref w, (nuint)((k * padded) + o)), a);
        }

        a.CopyTo(result);
    }

    /// <summary>Adds the bias, applies the activation and writes the outputs that exist (of <paramref name="lanes"/>
    /// per row from <paramref name="o"/>) to rows <paramref name="r"/>... of the output.</summary>
    private static void Store(Span<float> staging, int rows, int lanes, ReadOnlySpan<float> bias, Span<float> output, int r, int m, int o, VaeActivation? activation)
    {
        var count = Math.Min(lanes, m - o);
        for (var i = 0; i < rows; i++)
        {
            var values = staging.Slice(i * lanes, lanes);
            for (var v = 0; v < lanes; v += 8)
            {
                var sum = Vector256.Create(values.Slice(v, 8)) + Vector256.Create(bias.Slice(v, 8));
                sum = activation switch
                {
                    VaeActivation.Relu => Vector256.Max(sum, Vector256<float>.Zero),
                    VaeActivation.LeakyRelu => Vector256.ConditionalSelect(Vector256.GreaterThan(sum, Vector256<float>.Zero), sum, sum * 0.01f),
                    _ => sum,
                };
                sum.CopyTo(values.Slice(v, 8));
            }

            var destination = output.Slice(((r + i) * m) + o, count);
            values[..count].CopyTo(destination);
            if (activation is not (null or VaeActivation.Relu or VaeActivation.LeakyRelu))
            {
                for (var j = 0; j < destination.Length; j++)
                {
                    destination[j] = Activate(destination[j], activation);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Activate(float x, VaeActivation? activation) => activation switch
    {
        null => x,
        VaeActivation.Relu => x > 0 ? x : 0,
        VaeActivation.LeakyRelu => x > 0 ? x : 0.01f * x,
        VaeActivation.Elu => x > 0 ? x : MathF.Exp(x) - 1,
        VaeActivation.Silu => x / (1 + MathF.Exp(-x)),
        VaeActivation.Tanh => MathF.Tanh(x),
        _ => x,
    };
}
