using TorchSharp;
using static TorchSharp.torch;

namespace Vae.MLNet.Model;

/// <summary>Inverted dropout drawing its masks from a generator of the fit's own, so that a fit's result does not
/// depend on other fits or code drawing from TorchSharp's process-wide generator at the same time. Identity in
/// evaluation mode.</summary>
internal sealed class SeededDropout : nn.Module<Tensor, Tensor>
{
    private readonly double _probability;

    // Held for the module's life: a temporary scalar could be finalized while native code still reads it.
    private readonly Scalar _probabilityScalar;
    private readonly Scalar _zero = 0.ToScalar();
    private readonly Scalar _keep;

    public SeededDropout(double probability)
        : base(nameof(SeededDropout))
    {
        _probability = probability;
        _probabilityScalar = probability.ToScalar();
        _keep = (1 - probability).ToScalar();
    }

    /// <summary>The generator of the masks; set by the trainer before training.</summary>
    public Generator? Generator { get; set; }

    public override Tensor forward(Tensor input)
    {
        if (!training || _probability == 0)
        {
            return input.alias();
        }

        using var draw = rand(input.shape, dtype: input.dtype, device: input.device, generator: Generator);
        using var dropped = draw.lt(_probabilityScalar);
        return input.masked_fill(dropped, _zero).div(_keep);
    }
}
