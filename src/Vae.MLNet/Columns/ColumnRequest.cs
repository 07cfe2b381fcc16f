namespace Vae.MLNet.Columns;

/// <summary>A requested input column, its type checked and its kind resolved. <paramref name="Encoding"/> is the
/// numeric encoding asked for (<see cref="VaeNumericEncoding.Auto"/>: chosen at fit from the data; always
/// <see cref="VaeNumericEncoding.Standardize"/> for a vector).</summary>
internal readonly record struct ColumnRequest(string Name, SourceType Source, VaeColumnKind Kind, double Weight, VaeNumericEncoding Encoding = VaeNumericEncoding.Auto);
