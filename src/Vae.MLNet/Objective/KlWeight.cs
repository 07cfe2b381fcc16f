namespace Vae.MLNet.Objective;

/// <summary>The KL weight in effect at a point of training: beta, optionally normalised by input and latent size,
/// times the annealing schedule's factor.</summary>
internal sealed record KlWeight(
    double Beta,
    bool NormalizeBeta,
    VaeKlSchedule Schedule,
    double AnnealingEpochs,
    int Cycles,
    double CycleRampFraction,
    int TotalEpochs)
{
    /// <summary>beta, or beta_norm = beta * latent / input (Higgins et al. 2017) when normalised.</summary>
    public double Target(int inputWidth, int latentDimension) =>
        NormalizeBeta ? Beta * latentDimension / inputWidth : Beta;

    /// <summary>The schedule's factor in [0, 1] after <paramref name="epochs"/> epochs of training (fractional: the
    /// weight changes batch by batch).</summary>
    public double Factor(double epochs)
    {
        switch (Schedule)
        {
            case VaeKlSchedule.LinearWarmup:
                return AnnealingEpochs <= 0 ? 1.0 : Math.Clamp(epochs / AnnealingEpochs, 0.0, 1.0);
            case VaeKlSchedule.Sigmoid:
                return AnnealingEpochs <= 0 ? 1.0 : 1.0 / (1.0 + Math.Exp(-10.0 * (epochs - (AnnealingEpochs / 2)) / AnnealingEpochs));
            case VaeKlSchedule.Cyclical:
            {
                var cycle = (double)TotalEpochs / Math.Max(1, Cycles);
                var position = (epochs % cycle) / cycle;
                return CycleRampFraction <= 0 ? 1.0 : Math.Min(1.0, position / CycleRampFraction);
            }

            default:
                return 1.0;
        }
    }

    /// <summary>The KL weight in effect.</summary>
    public double At(double epochs, int inputWidth, int latentDimension) => Target(inputWidth, latentDimension) * Factor(epochs);
}
