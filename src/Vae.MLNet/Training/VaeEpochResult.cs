namespace Vae.MLNet;

/// <summary>What one epoch of training measured. Losses are means per row over the epoch's batches.</summary>
public sealed class VaeEpochResult
{
    internal VaeEpochResult(
        int epoch, double loss, IReadOnlyDictionary<string, double> reconstructionByColumn, IReadOnlyList<double> klByDimension,
        double beta, int activeUnits, double? validationLoss, double? validationReconstruction, double? validationKl, TimeSpan elapsed)
    {
        Epoch = epoch;
        Loss = loss;
        ReconstructionByColumn = reconstructionByColumn;
        Reconstruction = reconstructionByColumn.Values.Sum();
        KlByDimension = klByDimension;
        Kl = klByDimension.Sum();
        Beta = beta;
        ActiveUnits = activeUnits;
        ValidationLoss = validationLoss;
        ValidationReconstruction = validationReconstruction;
        ValidationKl = validationKl;
        Elapsed = elapsed;
    }

    /// <summary>The epoch's number, from 1.</summary>
    public int Epoch { get; }

    /// <summary>The training objective: reconstruction plus the KL weight times the (free-bits floored) KL.</summary>
    public double Loss { get; }

    /// <summary>The weighted reconstruction loss summed over columns.</summary>
    public double Reconstruction { get; }

    /// <summary>The weighted reconstruction loss of each input column.</summary>
    public IReadOnlyDictionary<string, double> ReconstructionByColumn { get; }

    /// <summary>KL(q(z|x) || N(0, I)) summed over latent dimensions, in nats.</summary>
    public double Kl { get; }

    /// <summary>KL of each latent dimension, in nats.</summary>
    public IReadOnlyList<double> KlByDimension { get; }

    /// <summary>The KL weight in effect at the end of the epoch (after normalisation and annealing).</summary>
    public double Beta { get; }

    /// <summary>Latent dimensions whose posterior mean varies across rows: Cov_x(E[z|x]) &gt; 0.01 (Burda et al.
    /// 2016), measured on the epoch's training rows as the training pass encoded them.</summary>
    public int ActiveUnits { get; }

    /// <summary>Validation objective at the final KL weight (what early stopping watches), if a validation
    /// fraction was set.</summary>
    public double? ValidationLoss { get; }

    /// <summary>Validation reconstruction loss, if a validation fraction was set.</summary>
    public double? ValidationReconstruction { get; }

    /// <summary>Validation KL, if a validation fraction was set.</summary>
    public double? ValidationKl { get; }

    /// <summary>Time since training started, at the end of this epoch.</summary>
    public TimeSpan Elapsed { get; }

    /// <inheritdoc />
    public override string ToString()
    {
        var validation = ValidationLoss is { } v ? $" val={v:F4}" : string.Empty;
        return FormattableString.Invariant(
            $"epoch {Epoch}: loss={Loss:F4} recon={Reconstruction:F4} kl={Kl:F4} beta={Beta:G4} active={ActiveUnits}{validation} ({Elapsed.TotalSeconds:F1}s)");
    }
}
