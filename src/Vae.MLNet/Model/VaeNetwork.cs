using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Vae.MLNet.Model;

/// <summary>The VAE as a TorchSharp module: encoder MLP to (mu, log-variance), decoder MLP to one output per encoded
/// feature. The decoder's last layer holds the heads of every column side by side (each column's span of outputs
/// is its head), so all heads run as one matrix product.</summary>
internal sealed class VaeNetwork : nn.Module
{
    /// <summary>Bounds of the posterior log-variance, which the network (and the managed inference) clamp to: the
    /// exponentials stay finite and the KL stays meaningful.</summary>
    public const double LogVarMin = -20, LogVarMax = 10;

    // Held for the life of the process, like every scalar passed to native code (see TorchScalars).
    private static readonly Scalar LogVarMinScalar = LogVarMin.ToScalar();
    private static readonly Scalar LogVarMaxScalar = LogVarMax.ToScalar();

    private readonly Sequential encoder;
    private readonly Linear mu;
    private readonly Linear logvar;
    private readonly Sequential decoder;
    private readonly Parameter? numeric_logvar;

    /// <summary>A network whose encoder input is its decoder output (no missing-value indicators): a convenience of the
    /// tests.</summary>
    public VaeNetwork(int width, IReadOnlyList<int> hidden, int latent, VaeActivation activation, double dropout, int numericCount)
        : this(width, width, hidden, latent, activation, dropout, numericCount)
    {
    }

    /// <summary>The network.</summary>
    /// <param name="inputWidth">The encoder's input width (encoded features and missing-value indicators).</param>
    /// <param name="outputWidth">The decoder's output width (the encoded features).</param>
    /// <param name="hidden">Encoder hidden sizes; the decoder mirrors them.</param>
    /// <param name="latent">Latent size.</param>
    /// <param name="activation">Hidden activation.</param>
    /// <param name="dropout">Dropout after each hidden layer.</param>
    /// <param name="numericCount">Numeric features with a learned log-variance (Gaussian NLL); 0: none.</param>
    public VaeNetwork(int inputWidth, int outputWidth, IReadOnlyList<int> hidden, int latent, VaeActivation activation, double dropout, int numericCount)
        : base(nameof(VaeNetwork))
    {
        InputWidth = inputWidth;
        OutputWidth = outputWidth;
        Hidden = hidden.ToArray();
        Latent = latent;
        Activation = activation;
        encoder = Stack(inputWidth, Hidden, activation, dropout);
        var last = Hidden.Length == 0 ? inputWidth : Hidden[^1];
        mu = nn.Linear(last, latent);
        logvar = nn.Linear(last, latent);
        var reversed = Hidden.Reverse().ToArray();
        decoder = Stack(latent, reversed, activation, dropout);
        decoder.append(nn.Linear(reversed.Length == 0 ? latent : reversed[^1], outputWidth));
        // Gaussian NLL: one learned log-variance per numeric feature, starting at 0 (sigma = 1).
        numeric_logvar = numericCount > 0 ? nn.Parameter(zeros(numericCount)) : null;
        RegisterComponents();
    }

    public int InputWidth { get; }

    public int OutputWidth { get; }

    public int[] Hidden { get; }

    public int Latent { get; }

    public VaeActivation Activation { get; }

    /// <summary>The learned log-variance of the numeric features (Gaussian NLL), if any.</summary>
    public Tensor? NumericLogVar => numeric_logvar;

    /// <summary>Draws every weight and bias from U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (TorchSharp's default for Linear)
    /// with the given generator, so initialisation depends on the seed alone, not on TorchSharp's process-wide
    /// generator that other code may be using concurrently.</summary>
    public void Initialize(Generator generator)
    {
        using var _ = no_grad();
        foreach (var linear in Linears())
        {
            var bound = 1.0 / Math.Sqrt(linear.weight!.shape[1]);
            linear.weight!.uniform_(-bound, bound, generator);
            linear.bias!.uniform_(-bound, bound, generator);
        }
    }

    /// <summary>Makes every dropout layer draw its masks from <paramref name="generator"/>.</summary>
    public void UseDropoutGenerator(Generator generator)
    {
        foreach (var dropout in modules().OfType<SeededDropout>())
        {
            dropout.Generator = generator;
        }
    }

    /// <summary>Posterior mean and log-variance (clamped to a safe range) of each row.</summary>
    public (Tensor Mu, Tensor LogVar) Encode(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = encoder.forward(x);
        var m = mu.forward(h);
        var lv = logvar.forward(h).clamp(LogVarMinScalar, LogVarMaxScalar);
        return (m.MoveToOuterDisposeScope(), lv.MoveToOuterDisposeScope());
    }

    /// <summary>Decoder outputs: predictions for numeric features, logits for binary and categorical ones.</summary>
    public Tensor Decode(Tensor z) => decoder.forward(z);

    /// <summary>The weights as managed arrays, for inference without TorchSharp.</summary>
    /// <param name="numericLogVar">Learned log-variance per numeric feature (Gaussian NLL), or null.</param>
    /// <param name="numericNoise">Standard deviation per numeric feature of the decoder's Gaussian, in standardised
    /// units, for sampling.</param>
    public VaeWeights ExportWeights(float[]? numericLogVar, float[]? numericNoise = null)
    {
        using var _ = no_grad();
        var encoderLayers = Linears(encoder).ToArray();
        var decoderLayers = Linears(decoder).ToArray();
        // One head computes mu and log-variance together: rows [0, latent) are mu, [latent, 2 latent) the log-variance.
        var heads = DenseLayer.Stack(DenseLayer.From(mu), DenseLayer.From(logvar));
        return new VaeWeights(InputWidth, OutputWidth, Latent, Activation, encoderLayers, heads, decoderLayers, numericLogVar ?? [], numericNoise ?? []);
    }

    private static IEnumerable<DenseLayer> Linears(Sequential stack) =>
        stack.children().OfType<Linear>().Select(DenseLayer.From);

    private IEnumerable<Linear> Linears() =>
        encoder.children().OfType<Linear>().Append(mu).Append(logvar).Concat(decoder.children().OfType<Linear>());

    private static Sequential Stack(int input, int[] sizes, VaeActivation activation, double dropout)
    {
        var stack = nn.Sequential();
        var previous = input;
        foreach (var size in sizes)
        {
            stack.append(nn.Linear(previous, size));
            stack.append(activation switch
            {
                VaeActivation.LeakyRelu => nn.LeakyReLU(0.01),
                VaeActivation.Elu => nn.ELU(),
                VaeActivation.Silu => nn.SiLU(),
                VaeActivation.Tanh => nn.Tanh(),
                _ => nn.ReLU(),
            });
            if (dropout > 0)
            {
                stack.append(new SeededDropout(dropout));
            }

            previous = size;
        }

        return stack;
    }
}
