namespace Vae.MLNet.Transform;

/// <summary>What an output column holds.</summary>
internal enum OutputKind : byte
{
    /// <summary>The posterior mean, a vector of the latent size.</summary>
    Latent,

    /// <summary>The posterior log-variance, a vector of the latent size.</summary>
    LogVariance,

    /// <summary>The anomaly score (negative ELBO at the posterior mean), a float.</summary>
    Score,

    /// <summary>The weighted reconstruction loss, a float.</summary>
    ReconstructionError,

    /// <summary>Each input column's weighted reconstruction loss, a vector with a slot per input column.</summary>
    ColumnErrors,

    /// <summary>An input column decoded from the posterior mean, in its own type.</summary>
    Reconstructed,

    /// <summary>An input column with its missing values imputed, in its own type.</summary>
    Imputed,
}
