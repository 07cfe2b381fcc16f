using static TorchSharp.torch;

namespace Vae.MLNet.Model;

/// <summary>Inverted dropout drawing its masks from a generator of the fit's own, so that a fit's result does not
/// depend on other fits or code drawing from TorchSharp's process-wide generator at the same time. Identity in
/// evaluation mode.</summary>
internal sealed class SeededDropout : nn.Module<Tensor, Tensor>
{
    private readonly double _probability;

    public SeededDropout(double probability)
        : base(nameof(SeededDropout))
    {
        _probability = probability;
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
        using var dropped = draw.lt(_probability);
        return input.masked_fill(dropped, 0).div(1 - _probability);
    }
}
