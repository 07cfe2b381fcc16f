namespace Vae.MLNet;

/// <summary>How a column is encoded for the autoencoder and which reconstruction loss it gets.</summary>
public enum VaeColumnKind
{
    /// <summary>Inferred from the column type: Boolean is <see cref="Binary"/>, key and text are
    /// <see cref="Categorical"/>, every other numeric type is <see cref="Numeric"/>.</summary>
    Auto = 0,

    /// <summary>A number or a fixed-size vector of numbers, standardised with the mean and standard deviation learned
    /// at fit; reconstruction loss: squared error or Gaussian negative log-likelihood
    /// (see <see cref="VaeNumericLoss"/>).</summary>
    Numeric,

    /// <summary>A key-typed column, or a text column whose categories are learned at fit; one-hot encoded, with
    /// softmax cross-entropy over its own categories as reconstruction loss.</summary>
    Categorical,

    /// <summary>A Boolean, or numbers in [0, 1] (scalar or fixed-size vector); binary cross-entropy with logits.
    /// Values outside [0, 1] are rejected.</summary>
    Binary,
}
