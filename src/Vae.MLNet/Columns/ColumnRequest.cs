namespace Vae.MLNet.Columns;

/// <summary>A requested input column, its type checked and its kind resolved.</summary>
internal readonly record struct ColumnRequest(string Name, SourceType Source, VaeColumnKind Kind, double Weight);
