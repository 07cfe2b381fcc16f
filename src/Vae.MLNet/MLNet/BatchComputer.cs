using Vae.MLNet.Model;

namespace Vae.MLNet.MLNet;

/// <summary>Buffers and results of one batch of rows through the trained model: encoded inputs in, posterior heads
/// (and, when scores are wanted, reconstruction losses and KL) out. One per cursor or row; never shared.</summary>
internal sealed class BatchComputer
{
    private readonly VaeInference _inference;
    private readonly VaeInference.Workspace _workspace;
    private readonly float[] _decoded;
    private readonly float[] _reconstruction;
    private readonly float[] _kl;

    public BatchComputer(VaeInference inference, int capacity, bool scores)
    {
        _inference = inference;
        Capacity = capacity;
        Scores = scores;
        X = new float[capacity * inference.InputWidth];
        Heads = new float[capacity * 2 * inference.Latent];
        _workspace = inference.CreateWorkspace(capacity);
        _decoded = scores ? new float[capacity * inference.InputWidth] : [];
        _reconstruction = scores ? new float[capacity * inference.ColumnCount] : [];
        _kl = scores ? new float[capacity] : [];
    }

    public int Capacity { get; }

    public bool Scores { get; }

    /// <summary>Encoded input rows, filled by the caller.</summary>
    public float[] X { get; }

    /// <summary>[mu, log-variance] per row.</summary>
    public float[] Heads { get; }

    public int Width => _inference.InputWidth;

    public void Compute(int rows)
    {
        _inference.Encode(X, rows, Heads, _workspace);
        if (Scores)
        {
            _inference.Decode(Heads, 2 * _inference.Latent, rows, _decoded, _workspace);
            _inference.Score(X, Heads, _decoded, rows, _reconstruction, _kl);
        }
    }

    public ReadOnlySpan<float> Mu(int row) => Heads.AsSpan(row * 2 * _inference.Latent, _inference.Latent);

    public ReadOnlySpan<float> LogVar(int row) => Heads.AsSpan((row * 2 * _inference.Latent) + _inference.Latent, _inference.Latent);

    public float ReconstructionError(int row)
    {
        var parts = _reconstruction.AsSpan(row * _inference.ColumnCount, _inference.ColumnCount);
        float sum = 0;
        foreach (var part in parts)
        {
            sum += part;
        }

        return sum;
    }

    public float Score(int row) => ReconstructionError(row) + _kl[row];
}
