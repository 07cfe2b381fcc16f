using Vae.MLNet.Columns;

namespace Vae.MLNet.Onnx;

/// <summary>The encoder's input in the graph, as <see cref="RowEncoder"/> writes it: per column its encoded
/// features, its missing-value indicators and where its values are missing; then the whole input vector.</summary>
internal sealed class EncodedInputs
{
    /// <param name="features">Per column, its encoded features as [rows, width] floats (the reconstruction target).</param>
    /// <param name="indicators">Per column, its missing-value indicators as [rows, count] floats (null: missing values
    /// are not allowed).</param>
    /// <param name="missing">Per column, a Boolean [rows, count] that is true where a value is missing (null where
    /// none can be: missing values not allowed, or a type that has no missing value).</param>
    /// <param name="input">The encoder's input, [rows, input width].</param>
    public EncodedInputs(string[] features, string?[] indicators, string?[] missing, string input)
    {
        Features = features;
        Indicators = indicators;
        Missing = missing;
        Input = input;
    }

    public string[] Features { get; }

    public string?[] Indicators { get; }

    public string?[] Missing { get; }

    public string Input { get; }
}
