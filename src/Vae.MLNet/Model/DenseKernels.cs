using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Vae.MLNet.Model;

/// <summary>Managed dense-layer kernels for inference. Every output is one dot product accumulated in the same
/// order whatever the batch size or the thread, so a row gives bit-identical results alone, in any batch, on any
/// thread: the batched transform and the single-row prediction engine agree exactly.</summary>
internal static class DenseKernels
{
    private const int RowBlock = 4;
    private const long ParallelThreshold = 1L << 18; // multiply-adds below which threads cost more than they save

    /// <summary>output (rows x Out) = activation(input (rows x In) W^T + b).</summary>
    public static void Forward(DenseLayer layer, ReadOnlySpan<float> input, int rows, Span<float> output, VaeActivation? activation)
    {
        var work = (long)rows * layer.In * layer.Out;
        var blocks = (rows + RowBlock - 1) / RowBlock;
        if (work < ParallelThreshold || blocks < 2 || Environment.ProcessorCount < 2)
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

    private static void ForwardRows(DenseLayer layer, ReadOnlySpan<float> input, int start, int end, Span<float> output, VaeActivation? activation)
    {
        var n = layer.In;
        var m = layer.Out;
        var weights = layer.Weight.AsSpan();
        var bias = layer.Bias;
        var r = start;
        for (; r + RowBlock <= end; r += RowBlock)
        {
            var x0 = input.Slice(r * n, n);
            var x1 = input.Slice((r + 1) * n, n);
            var x2 = input.Slice((r + 2) * n, n);
            var x3 = input.Slice((r + 3) * n, n);
            for (var o = 0; o < m; o++)
            {
                Dot4(weights.Slice(o * n, n), x0, x1, x2, x3, out var d0, out var d1, out var d2, out var d3);
                output[(r * m) + o] = Activate(d0 + bias[o], activation);
                output[((r + 1) * m) + o] = Activate(d1 + bias[o], activation);
                output[((r + 2) * m) + o] = Activate(d2 + bias[o], activation);
                output[((r + 3) * m) + o] = Activate(d3 + bias[o], activation);
            }
        }

        for (; r < end; r++)
        {
            var x = input.Slice(r * n, n);
            for (var o = 0; o < m; o++)
            {
                output[(r * m) + o] = Activate(Dot(weights.Slice(o * n, n), x) + bias[o], activation);
            }
        }
    }

    /// <summary>The dot product; <see cref="Dot4"/> performs exactly these operations for each of its rows.</summary>
    public static float Dot(ReadOnlySpan<float> w, ReadOnlySpan<float> x)
    {
        ref var wr = ref MemoryMarshal.GetReference(w);
        ref var xr = ref MemoryMarshal.GetReference(x);
        var n = w.Length;
        var k = 0;
        var acc = Vector<float>.Zero;
        for (; k <= n - Vector<float>.Count; k += Vector<float>.Count)
        {
            acc += Vector.LoadUnsafe(ref wr, (nuint)k) * Vector.LoadUnsafe(ref xr, (nuint)k);
        }

        var sum = Vector.Sum(acc);
        for (; k < n; k++)
        {
            sum += Unsafe.Add(ref wr, k) * Unsafe.Add(ref xr, k);
        }

        return sum;
    }

    private static void Dot4(
        ReadOnlySpan<float> w, ReadOnlySpan<float> x0, ReadOnlySpan<float> x1, ReadOnlySpan<float> x2, ReadOnlySpan<float> x3,
        out float d0, out float d1, out float d2, out float d3)
    {
        ref var wr = ref MemoryMarshal.GetReference(w);
        ref var r0 = ref MemoryMarshal.GetReference(x0);
        ref var r1 = ref MemoryMarshal.GetReference(x1);
        ref var r2 = ref MemoryMarshal.GetReference(x2);
        ref var r3 = ref MemoryMarshal.GetReference(x3);
        var n = w.Length;
        var k = 0;
        Vector<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (; k <= n - Vector<float>.Count; k += Vector<float>.Count)
        {
            var wv = Vector.LoadUnsafe(ref wr, (nuint)k);
            a0 += wv * Vector.LoadUnsafe(ref r0, (nuint)k);
            a1 += wv * Vector.LoadUnsafe(ref r1, (nuint)k);
            a2 += wv * Vector.LoadUnsafe(ref r2, (nuint)k);
            a3 += wv * Vector.LoadUnsafe(ref r3, (nuint)k);
        }

        d0 = Vector.Sum(a0);
        d1 = Vector.Sum(a1);
        d2 = Vector.Sum(a2);
        d3 = Vector.Sum(a3);
        for (; k < n; k++)
        {
            var wk = Unsafe.Add(ref wr, k);
            d0 += wk * Unsafe.Add(ref r0, k);
            d1 += wk * Unsafe.Add(ref r1, k);
            d2 += wk * Unsafe.Add(ref r2, k);
            d3 += wk * Unsafe.Add(ref r3, k);
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
