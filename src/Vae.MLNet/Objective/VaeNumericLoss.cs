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
