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

    /// <summary>Numeric columns: the mean of each feature learned at fit; empty for other kinds.</summary>
    public IReadOnlyList<float> Means { get; }

    /// <summary>Numeric columns: the standard deviation of each feature learned at fit (1 for a constant feature);
    /// empty for other kinds.</summary>
    public IReadOnlyList<float> StandardDeviations { get; }

    /// <summary>Categorical columns: the name of each one-hot position. For a text column the learned categories
    /// followed by the bucket for every other value (<see cref="OtherCategory"/>); for a key column the key values'
    /// names (their text, where the key has key-value metadata, else "1", "2", ...). Empty for other kinds.</summary>
    public IReadOnlyList<string> Categories { get; }

    /// <summary>The name of the bucket that takes the categories of a text column unseen at fit or beyond the cap. It
    /// is an input position only: decoded, reconstructed, imputed and generated values are never the bucket.</summary>
    public const string OtherCategory = "<other>";

    /// <inheritdoc />
    public override string ToString() => $"{Name}: {Kind}, features [{Offset}, {Offset + Width}), weight {Weight}";
}
