using TorchSharp.Modules;
using Vae.MLNet.Persistence;
using static TorchSharp.torch;

namespace Vae.MLNet.Model;

/// <summary>A fully connected layer as managed arrays: <c>y = W x + b</c>, W row-major (Out x In).</summary>
internal sealed record DenseLayer(int In, int Out, float[] Weight, float[] Bias)
{
    private float[]? _packed;

    /// <summary>Outputs rounded up to a whole number of 8-lane vectors.</summary>
    public int PaddedOut => (Out + 7) & ~7;

    /// <summary>W transposed (In x <see cref="PaddedOut"/>, row-major, zero-padded) followed by the zero-padded bias,
    /// the layout of the inference kernels: the weights of one input for consecutive outputs are adjacent.</summary>
    public float[] Packed => _packed ??= Pack();

    private float[] Pack()
    {
        var padded = PaddedOut;
        var packed = new float[(In + 1) * padded];
        for (var o = 0; o < Out; o++)
        {
            for (var i = 0; i < In; i++)
            {
                packed[(i * padded) + o] = Weight[(o * In) + i];
            }

            packed[(In * padded) + o] = Bias[o];
        }

        return packed;
    }

    public static DenseLayer From(Linear linear)
    {
        using var scope = NewDisposeScope();
        var w = linear.weight!.detach().cpu().contiguous();
        var b = linear.bias!.detach().cpu().contiguous();
        return new DenseLayer((int)w.shape[1], (int)w.shape[0], w.data<float>().ToArray(), b.data<float>().ToArray());
    }

    public static DenseLayer Stack(DenseLayer first, DenseLayer second) =>
        new(first.In, first.Out + second.Out, [.. first.Weight, .. second.Weight], [.. first.Bias, .. second.Bias]);

    public void Write(ModelWriter writer)
    {
        writer.Write(In);
        writer.Write(Out);
        writer.WriteRaw(Weight);
        writer.WriteRaw(Bias);
    }

    public static DenseLayer Read(ModelReader reader)
    {
        var input = ModelFormat.CheckCount(reader.ReadInt32(), "layer input size");
        var output = ModelFormat.CheckCount(reader.ReadInt32(), "layer output size");
        ModelFormat.Check((long)input * output <= 1 << 28, "a layer is implausibly large");
        var weight = new float[input * output];
        var bias = new float[output];
        reader.ReadRaw(weight);
        reader.ReadRaw(bias);
        return new DenseLayer(input, output, weight, bias);
    }
}
