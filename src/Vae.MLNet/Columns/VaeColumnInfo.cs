namespace Vae.MLNet;

/// <summary>How a fitted autoencoder encodes one input column: where it lives in the encoded vector and what was
/// learned from the training data.</summary>
public sealed class VaeColumnInfo
{
    internal VaeColumnInfo(
        string name,
        VaeColumnKind kind,
        double weight,
        int offset,
        int width,
        IReadOnlyList<float> means,
        IReadOnlyList<float> standardDeviations,
        IReadOnlyList<string> categories)
    {
        Name = name;
        Kind = kind;
        Weight = weight;
        Offset = offset;
        Width = width;
        Means = means;
        StandardDeviations = standardDeviations;
        Categories = categories;
    }

    /// <summary>The column's name.</summary>
    public string Name { get; }

    /// <summary>The kind it was encoded as (never <see cref="VaeColumnKind.Auto"/>).</summary>
    public VaeColumnKind Kind { get; }

    /// <summary>The factor on its reconstruction loss.</summary>
    public double Weight { get; }

    /// <summary>The index of its first feature in the encoded vector.</summary>
    public int Offset { get; }

    /// <summary>How many features it takes in the encoded vector (one-hot width for a categorical column).</summary>
    public int Width { get; }

    /// <summary>Numeric columns: the mean of each value learned at fit; empty for other kinds.</summary>
    public IReadOnlyList<float> Means { get; }

    /// <summary>Numeric columns: the standard deviation of each feature learned at fit (1 for a constant feature);
    /// empty for other kinds.</summary>
    public IReadOnlyList<float> StandardDeviations { get; }

    /// <summary>Categorical columns: the name of each one-hot position. For a text column the learned categories
    /// followed by the bucket for every other value (<see cref="OtherCategory"/>); for a key column the key values'
    /// names (their text, where the key has key-value metadata, else "1", "2", ...). Empty for other kinds.</summary>
    public IReadOnlyList<string> Categories { get; }

    /// <summary>Numeric columns: how the column was encoded (<see cref="VaeNumericEncoding.Standardize"/> or
    /// <see cref="VaeNumericEncoding.ModeSpecific"/>, never Auto); <see cref="VaeNumericEncoding.Auto"/> for other kinds.</summary>
    public VaeNumericEncoding NumericEncoding { get; internal init; }

    /// <summary>Mode-specific columns: the point masses found at fit (values held by at least 5% of the rows); empty
    /// otherwise.</summary>
    public IReadOnlyList<double> PointMasses { get; internal init; } = [];

    /// <summary>Mode-specific columns: the Gaussian modes of the values that are no point mass; 0 otherwise. The
    /// column's <see cref="Width"/> is 2 (the standardised value and the place within the component) plus the point
    /// masses and the modes.</summary>
    public int ModeCount { get; internal init; }

    /// <summary>The name of the bucket that takes the categories of a text column unseen at fit or beyond the cap. It
    /// is an input position only: decoded, reconstructed, imputed and generated values are never the bucket.</summary>
    public const string OtherCategory = "<other>";

    /// <inheritdoc />
    public override string ToString() => NumericEncoding == VaeNumericEncoding.ModeSpecific
        ? $"{Name}: {Kind} (mode-specific: {PointMasses.Count} point masses, {ModeCount} modes), features [{Offset}, {Offset + Width}), weight {Weight}"
        : $"{Name}: {Kind}, features [{Offset}, {Offset + Width}), weight {Weight}";
}
