using Vae.MLNet.Persistence;

namespace Vae.MLNet.Model;

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

    public void Write(ModelWriter writer)
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

        writer.WriteFloats(NumericLogVar);
        writer.WriteFloats(NumericNoise);
    }

    public static VaeWeights Read(ModelReader reader)
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

        var numericLogVar = reader.ReadFloats("numeric variance count");
        var numericNoise = reader.ReadFloats("numeric noise count");
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
