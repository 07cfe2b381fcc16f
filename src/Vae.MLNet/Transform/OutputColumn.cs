namespace Vae.MLNet.Transform;

/// <summary>An output column bound to an input schema: its spec, its index in the output schema and, for a
/// per-column output, the index of its input column in the input schema (-1 otherwise).</summary>
internal sealed record OutputColumn(OutputColumnSpec Spec, int Index, int InputIndex)
{
    public OutputKind Kind => Spec.Kind;

    /// <summary>The position of its input column among the model's columns (-1: a whole-row output).</summary>
    public int EncodingColumn => Spec.InputColumn;

    public bool Decodes => Spec.Decodes;

    public bool Scores => Spec.Scores;
}
