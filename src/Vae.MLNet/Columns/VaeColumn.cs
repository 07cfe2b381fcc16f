namespace Vae.MLNet;

/// <summary>An input column of the autoencoder: its name, how it is encoded and how much its reconstruction
/// counts in the loss.</summary>
public sealed class VaeColumn
{
    /// <summary>Creates the description of an input column.</summary>
    /// <param name="name">The column's name in the input data.</param>
    /// <param name="kind">Its kind; <see cref="VaeColumnKind.Auto"/> infers it from the column type.</param>
    /// <param name="weight">The factor on its reconstruction loss (default 1; 0 keeps it as an input only).</param>
    public VaeColumn(string name, VaeColumnKind kind = VaeColumnKind.Auto, double weight = 1.0)
    {
        Name = name;
        Kind = kind;
        Weight = weight;
    }

    /// <summary>The column's name in the input data.</summary>
    public string Name { get; }

    /// <summary>Its kind; <see cref="VaeColumnKind.Auto"/> infers it from the column type.</summary>
    public VaeColumnKind Kind { get; }

    /// <summary>The factor on its reconstruction loss (default 1; 0 keeps it as an input only).</summary>
    public double Weight { get; }

    /// <summary>How a numeric column is encoded; <see cref="VaeNumericEncoding.Auto"/> (the default) takes the
    /// estimator's <c>NumericEncoding</c> option, which by default chooses per column from the data.
    /// <see cref="VaeNumericEncoding.ModeSpecific"/> takes scalar numeric columns only.</summary>
    public VaeNumericEncoding NumericEncoding { get; init; }

    /// <summary>A column of the given name with the inferred kind and weight 1.</summary>
    public static implicit operator VaeColumn(string name) => new(name);

    /// <inheritdoc />
    public override string ToString() => NumericEncoding == VaeNumericEncoding.Auto
        ? $"{Name} ({Kind}, weight {Weight})"
        : $"{Name} ({Kind}, {NumericEncoding}, weight {Weight})";
}
