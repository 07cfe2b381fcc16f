using Vae.MLNet.Persistence;

namespace Vae.MLNet.Transform;

/// <summary>One output column of the transformer, as the options ask for it: its kind, its name and, for the
/// per-column outputs, the position of its input column among the model's columns. The one list of these (built by
/// <see cref="List"/> from the options, kept by the transformer and written to its file) is what the estimator's
/// output shape and validation, the mapper's schema, the row's getters and the saved model all read.</summary>
/// <param name="Kind">What it holds.</param>
/// <param name="Name">The column's name.</param>
/// <param name="InputColumn">For <see cref="OutputKind.Reconstructed"/> and <see cref="OutputKind.Imputed"/>: the
/// position of the input column among the model's columns; -1 otherwise.</param>
internal sealed record OutputColumnSpec(OutputKind Kind, string Name, int InputColumn = -1)
{
    /// <summary>Whether it is one of an input column's outputs (in that column's own type).</summary>
    public bool IsPerColumn => Kind is OutputKind.Reconstructed or OutputKind.Imputed;

    /// <summary>For a whole-row output: whether it is a vector of floats (with slot names) rather than one float.</summary>
    public bool IsVector => Kind is OutputKind.Latent or OutputKind.LogVariance or OutputKind.ColumnErrors;

    /// <summary>Whether it needs the rows decoded.</summary>
    public bool Decodes => IsPerColumn;

    /// <summary>Whether it needs the reconstruction losses.</summary>
    public bool Scores => Kind is OutputKind.Score or OutputKind.ReconstructionError or OutputKind.ColumnErrors;

    /// <summary>The list of output columns, in schema order: the latent mean, then each requested whole-row output, then
    /// each requested per-column output for every input column in the model's order.</summary>
    /// <param name="latent">The latent mean's name.</param>
    /// <param name="logVariance">The log-variance's name, or null.</param>
    /// <param name="score">The score's name, or null.</param>
    /// <param name="reconstructionError">The reconstruction error's name, or null.</param>
    /// <param name="columnErrors">The per-column errors' name, or null.</param>
    /// <param name="reconstructedSuffix">The suffix of the reconstructed columns, or null.</param>
    /// <param name="imputedSuffix">The suffix of the imputed columns, or null.</param>
    /// <param name="columns">The names of the model's input columns.</param>
    public static OutputColumnSpec[] List(
        string latent, string? logVariance, string? score, string? reconstructionError, string? columnErrors,
        string? reconstructedSuffix, string? imputedSuffix, IReadOnlyList<string> columns)
    {
        var outputs = new List<OutputColumnSpec> { new(OutputKind.Latent, latent) };
        foreach (var (kind, name) in new[]
        {
            (OutputKind.LogVariance, logVariance), (OutputKind.Score, score),
            (OutputKind.ReconstructionError, reconstructionError), (OutputKind.ColumnErrors, columnErrors),
        })
        {
            if (name is not null)
            {
                outputs.Add(new OutputColumnSpec(kind, name));
            }
        }

        foreach (var (kind, suffix) in new[] { (OutputKind.Reconstructed, reconstructedSuffix), (OutputKind.Imputed, imputedSuffix) })
        {
            if (suffix is not null)
            {
                outputs.AddRange(columns.Select((column, c) => new OutputColumnSpec(kind, column + suffix, c)));
            }
        }

        return [.. outputs];
    }

    /// <summary>Writes the list: its count, then kind, name and input column of each.</summary>
    public static void Write(ModelWriter writer, IReadOnlyList<OutputColumnSpec> outputs)
    {
        writer.Write(outputs.Count);
        foreach (var output in outputs)
        {
            writer.Write((byte)output.Kind);
            writer.Write(output.Name);
            writer.Write(output.InputColumn);
        }
    }

    /// <summary>Reads a list written by <see cref="Write"/>; given the model's input columns (read after it), checks
    /// that each per-column output names one of them.</summary>
    public static Func<IReadOnlyList<string>, OutputColumnSpec[]> Read(ModelReader reader)
    {
        var outputs = new OutputColumnSpec[ModelFormat.CheckCount(reader.ReadInt32(), "output column count", 1 << 20)];
        for (var i = 0; i < outputs.Length; i++)
        {
            var kind = (OutputKind)reader.ReadByte();
            var name = reader.ReadString();
            var input = reader.ReadInt32();
            ModelFormat.Check(Enum.IsDefined(kind), $"output column '{name}' has an unknown kind");
            ModelFormat.Check(IsPerColumnKind(kind) ? input >= 0 : input == -1, $"output column '{name}' names no valid input column");
            outputs[i] = new OutputColumnSpec(kind, name, input);
        }

        ModelFormat.Check(outputs.Count(o => o.Kind == OutputKind.Latent) == 1, "there must be one latent output column");
        return _ => outputs;
    }

    private static bool IsPerColumnKind(OutputKind kind) => kind is OutputKind.Reconstructed or OutputKind.Imputed;
}
