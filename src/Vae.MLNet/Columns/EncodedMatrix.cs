namespace Vae.MLNet.Columns;

/// <summary>The encoded training matrix: <see cref="Rows"/> rows of the encoding's width, row-major.</summary>
internal sealed record EncodedMatrix(float[] Values, int Rows, int Width);
