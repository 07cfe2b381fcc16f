using Microsoft.ML;
using Microsoft.ML.Data;
using Vae.MLNet.Columns;

namespace Vae.MLNet.Transform;

/// <summary>What an output column holds.</summary>
internal enum OutputKind
{
    Latent,
    LogVariance,
    Score,
    ReconstructionError,
    ColumnErrors,
    Reconstructed,
    Imputed,
}

/// <summary>One output column: its kind, its index in the output schema and, for per-column outputs, the input
/// column (its index in the encoding and in the input schema).</summary>
internal sealed record OutputColumn(OutputKind Kind, int Index, int EncodingColumn = -1, int InputIndex = -1)
{
    /// <summary>Whether the column needs the rows decoded.</summary>
    public bool Decodes => Kind is OutputKind.Reconstructed or OutputKind.Imputed;

    /// <summary>Whether the column needs the reconstruction losses.</summary>
    public bool Scores => Kind is OutputKind.Score or OutputKind.ReconstructionError or OutputKind.ColumnErrors;
}
