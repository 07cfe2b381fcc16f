using System.Runtime.InteropServices;
using TorchSharp.Modules;
using Vae.MLNet.Columns;
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

    public void Write(BinaryWriter writer)
    {
        writer.Write(In);
        writer.Write(Out);
        writer.Write(MemoryMarshal.AsBytes(Weight.AsSpan()));
        writer.Write(MemoryMarshal.AsBytes(Bias.AsSpan()));
    }

    public static DenseLayer Read(BinaryReader reader)
    {
        var input = ModelFormat.CheckCount(reader.ReadInt32(), "layer input size");
        var output = ModelFormat.CheckCount(reader.ReadInt32(), "layer output size");
        ModelFormat.Check((long)input * output <= 1 << 28, "a layer is implausibly large");
        var weight = new float[input * output];
        var bias = new float[output];
        ReadExactly(reader, MemoryMarshal.AsBytes(weight.AsSpan()));
        ReadExactly(reader, MemoryMarshal.AsBytes(bias.AsSpan()));
        return new DenseLayer(input, output, weight, bias);
    }

    internal static void ReadExactly(BinaryReader reader, Span<byte> bytes) =>
        ModelFormat.Check(reader.Read(bytes) == bytes.Length, "the file ends early");

    /// <summary>Loads these values into a TorchSharp layer of the same shape.</summary>
    public void CopyTo(Linear linear)
    {
        using var _ = no_grad();
        using var w = tensor(Weight, [Out, In]);
        using var b = tensor(Bias);
        linear.weight!.copy_(w);
        linear.bias!.copy_(b);
    }
}

/// <summary>The trained network's weights, free of TorchSharp: what the transformer keeps, saves and runs.</summary>
internal sealed class VaeWeights
{
    public VaeWeights(int inputWidth, int outputWidth, int latent, VaeActivation activation, DenseLayer[] encoder, DenseLayer heads, DenseLayer[] decoder, float[] numericLogVar, float[] numericNoise)
    {
        InputWidth = inputWidth;
        OutputWidth = outputWidth;
        NumericNoise = numericNoise;
        Latent = latent;
        Activation = activation;
        Encoder = encoder;
        Heads = heads;
        Decoder = decoder;
        NumericLogVar = numericLogVar;
    }

    /// <summary>The encoder's input width: encoded features and missing-value indicators.</summary>
    public int InputWidth { get; }

    /// <summary>The decoder's output width: the encoded features.</summary>
    public int OutputWidth { get; }

    public int Latent { get; }

    public VaeActivation Activation { get; }

    /// <summary>Hidden layers of the encoder, each followed by the activation.</summary>
    public DenseLayer[] Encoder { get; }

    /// <summary>Mu and log-variance heads side by side (2 x latent outputs).</summary>
    public DenseLayer Heads { get; }

    /// <summary>Decoder layers; all but the last are followed by the activation.</summary>
    public DenseLayer[] Decoder { get; }

    /// <summary>Learned log-variance per numeric feature (Gaussian NLL), or empty.</summary>
    public float[] NumericLogVar { get; }

    /// <summary>Standard deviation per numeric feature of the decoder's Gaussian (standardised units): the learned
    /// one under Gaussian NLL, the training residuals' root mean square under squared error. Used for sampling.</summary>
    public float[] NumericNoise { get; }

    public int MaxWidth => Encoder.Concat(Decoder).Append(Heads).Max(l => Math.Max(l.In, l.Out));

    public void Write(BinaryWriter writer)
    {
        writer.Write(InputWidth);
        writer.Write(OutputWidth);
        writer.Write(Latent);
        writer.Write((byte)Activation);
        writer.Write(Encoder.Length);
        foreach (var layer in Encoder)
        {
            layer.Write(writer);
        }

        Heads.Write(writer);
        writer.Write(Decoder.Length);
        foreach (var layer in Decoder)
        {
            layer.Write(writer);
        }

        writer.Write(NumericLogVar.Length);
        writer.Write(MemoryMarshal.AsBytes(NumericLogVar.AsSpan()));
        writer.Write(NumericNoise.Length);
        writer.Write(MemoryMarshal.AsBytes(NumericNoise.AsSpan()));
    }

    public static VaeWeights Read(BinaryReader reader)
    {
        var inputWidth = ModelFormat.CheckCount(reader.ReadInt32(), "input width");
        var outputWidth = ModelFormat.CheckCount(reader.ReadInt32(), "output width");
        var latent = ModelFormat.CheckCount(reader.ReadInt32(), "latent size");
        var activation = (VaeActivation)reader.ReadByte();
        ModelFormat.Check(Enum.IsDefined(activation), "unknown activation");
        var encoder = new DenseLayer[ModelFormat.CheckCount(reader.ReadInt32(), "encoder depth", 64)];
        for (var i = 0; i < encoder.Length; i++)
        {
            encoder[i] = DenseLayer.Read(reader);
        }

        var heads = DenseLayer.Read(reader);
        var decoder = new DenseLayer[ModelFormat.CheckCount(reader.ReadInt32(), "decoder depth", 64)];
        ModelFormat.Check(decoder.Length > 0, "the decoder has no layers");
        for (var i = 0; i < decoder.Length; i++)
        {
            decoder[i] = DenseLayer.Read(reader);
        }

        var numericLogVar = new float[ModelFormat.CheckCount(reader.ReadInt32(), "numeric variance count")];
        DenseLayer.ReadExactly(reader, MemoryMarshal.AsBytes(numericLogVar.AsSpan()));
        var numericNoise = new float[ModelFormat.CheckCount(reader.ReadInt32(), "numeric noise count")];
        DenseLayer.ReadExactly(reader, MemoryMarshal.AsBytes(numericNoise.AsSpan()));
        ModelFormat.Check(numericNoise.All(s => float.IsFinite(s) && s >= 0), "a numeric noise level is not a finite non-negative number");

        // The layers must chain: input -> encoder -> heads (2 x latent) ; latent -> decoder -> output.
        var width = inputWidth;
        foreach (var layer in encoder)
        {
            ModelFormat.Check(layer.In == width, "encoder layers do not chain");
            width = layer.Out;
        }

        ModelFormat.Check(heads.In == width && heads.Out == 2 * latent, "the latent heads do not fit the encoder");
        width = latent;
        foreach (var layer in decoder)
        {
            ModelFormat.Check(layer.In == width, "decoder layers do not chain");
            width = layer.Out;
        }

        ModelFormat.Check(width == outputWidth, "the decoder's output does not match the output width");
        return new VaeWeights(inputWidth, outputWidth, latent, activation, encoder, heads, decoder, numericLogVar, numericNoise);
    }
}
