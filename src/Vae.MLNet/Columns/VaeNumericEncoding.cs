namespace Vae.MLNet;

/// <summary>How a numeric column's values become features of the encoded vector.</summary>
public enum VaeNumericEncoding
{
    /// <summary>Chosen per column from a sample of its values at fit: <see cref="ModeSpecific"/> where a value holds at
    /// least 5% of the rows (a point mass, such as the zeros of a capital-gain column) or where a mixture of several
    /// Gaussians describes the values better than one (by the Bayesian information criterion), else
    /// <see cref="Standardize"/>. Vector columns are always standardised.</summary>
    Auto = 0,

    /// <summary>One feature per value: (x - mean) / standard deviation, with the mean and deviation learned at fit.</summary>
    Standardize,

    /// <summary>Scalar columns only: the value's component (a point mass, or one of up to 10 Gaussian modes learned at
    /// fit, as in TVAE's mode-specific normalisation) as a one-hot with softmax cross-entropy, plus the value's place
    /// within the component, (x - mean_k) / std_k, with the column's numeric loss. Decoding gives the point itself, or
    /// the component's mean plus the decoded place times its deviation, so generated rows keep the point masses and
    /// the modes that one Gaussian per column smears.</summary>
    ModeSpecific,
}
