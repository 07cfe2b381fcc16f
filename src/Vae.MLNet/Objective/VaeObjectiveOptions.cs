namespace Vae.MLNet;

/// <summary>The reconstruction loss of numeric columns.</summary>
public enum VaeNumericLoss
{
    /// <summary>Squared error on the standardised values (the default). Never negative.</summary>
    MeanSquaredError = 0,

    /// <summary>Gaussian negative log-likelihood with a learned variance per feature, as TVAE does (the standard
    /// deviation is kept in [0.01, 1] of the standardised scale). This loss goes negative once the model predicts a
    /// feature better than a standard deviation of 1/sqrt(2*pi) ~ 0.4: it is a log-density, not a distance, so a
    /// negative value means a confident, accurate fit, not a bug.</summary>
    GaussianNll,
}

/// <summary>How each column's per-feature reconstruction terms are added up.</summary>
public enum VaeReconstructionReduction
{
    /// <summary>Summed over all features, the Keras/PyTorch convention and the scale of the evidence lower bound
    /// (the default). A categorical column contributes its cross-entropy once, whatever its number of categories;
    /// a vector column contributes one term per slot.</summary>
    Sum = 0,

    /// <summary>Each column's terms averaged over its own features, so every column counts once whatever its width:
    /// a 784-slot vector column or a 30-category column weighs as much as a single number.</summary>
    ColumnMean,
}

/// <summary>How the KL weight changes over training (KL annealing).</summary>
public enum VaeKlSchedule
{
    /// <summary>The KL weight is beta throughout (the default).</summary>
    Constant = 0,

    /// <summary>Rises linearly from 0 to beta over the annealing epochs, then stays (as scvi-tools' warm-up).</summary>
    LinearWarmup,

    /// <summary>Follows a logistic curve from ~0 to beta, centred at half the annealing epochs (Bowman et al.
    /// 2015): beta / (1 + exp(-10 (t - A/2) / A)) at epoch t for A annealing epochs.</summary>
    Sigmoid,

    /// <summary>Repeats a ramp from 0 to beta followed by a plateau at beta, in equal cycles over the whole training
    /// (Fu et al. 2019).</summary>
    Cyclical,
}
