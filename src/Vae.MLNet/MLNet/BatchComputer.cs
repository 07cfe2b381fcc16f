using Vae.MLNet.Model;

namespace Vae.MLNet.MLNet;

/// <summary>Buffers and results of one batch of rows through the trained model: encoded inputs in, posterior heads
/// out, and when wanted the rows decoded from the posterior mean and their reconstruction losses and KL. One per
/// cursor or row; never shared.</summary>
internal sealed class BatchComputer
{
    private readonly VaeInference _inference;
    private readonly VaeInference.Workspace _workspace;
    private readonly float[] _reconstruction;
    private readonly float[] _kl;

    /// <param name="inference">The model.</param>
    /// <param name="capacity">Rows per batch.</param>
    /// <param name="decode">Whether rows are decoded (for reconstructed or imputed columns).</param>
    /// <param name="scores">Whether reconstruction losses and KL are computed (implies decoding).</param>
    public BatchComputer(VaeInference inference, int capacity, bool decode, bool scores)
    {
        _inference = inference;
        Capacity = capacity;
        Scores = scores;
        Decodes = decode || scores;
        X = new float[capacity * inference.InputWidth];
        Heads = new float[capacity * 2 * inference.Latent];
        _workspace = inference.CreateWorkspace(capacity);
        Decoded = Decodes ? new float[capacity * inference.OutputWidth] : [];
        _reconstruction = scores ? new float[capacity * inference.ColumnCount] : [];
        _kl = scores ? new float[capacity] : [];
    }

    public int Capacity { get; }

    public bool Scores { get; }

    public bool Decodes { get; }

    /// <summary>Encoded input rows (features, then missing-value indicators), filled by the caller.</summary>
    public float[] X { get; }

    /// <summary>[mu, log-variance] per row.</summary>
    public float[] Heads { get; }

    /// <summary>Decoder outputs at the posterior mean, per row (when <see cref="Decodes"/>).</summary>
    public float[] Decoded { get; }

    /// <summary>Width of an encoded input row.</summary>
    public int Width => _inference.InputWidth;

    public VaeInference Inference => _inference;

    public void Compute(int rows)
    {
        _inference.Encode(X, rows, Heads, _workspace);
        if (Decodes)
        {
            _inference.Decode(Heads, 2 * _inference.Latent, rows, Decoded, _workspace);
        }

        if (Scores)
        {
            _inference.Score(X, Heads, Decoded, rows, _reconstruction, _kl);
        }
    }

    public ReadOnlySpan<float> Mu(int row) => Heads.AsSpan(row * 2 * _inference.Latent, _inference.Latent);

    public ReadOnlySpan<float> LogVar(int row) => Heads.AsSpan((row * 2 * _inference.Latent) + _inference.Latent, _inference.Latent);

    /// <summary>The decoder's outputs for a row.</summary>
    public ReadOnlySpan<float> DecodedRow(int row) => Decoded.AsSpan(row * _inference.OutputWidth, _inference.OutputWidth);

    /// <summary>The encoded input row (features, then indicators).</summary>
    public ReadOnlySpan<float> InputRow(int row) => X.AsSpan(row * _inference.InputWidth, _inference.InputWidth);

    /// <summary>Each column's weighted reconstruction loss for a row.</summary>
    public ReadOnlySpan<float> ColumnErrors(int row) => _reconstruction.AsSpan(row * _inference.ColumnCount, _inference.ColumnCount);

    public float ReconstructionError(int row)
    {
        float sum = 0;
        foreach (var part in ColumnErrors(row))
        {
            sum += part;
        }

        return sum;
    }

    public float Score(int row) => ReconstructionError(row) + _kl[row];
}
