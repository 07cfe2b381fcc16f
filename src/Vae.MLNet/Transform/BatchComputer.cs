using Vae.MLNet.Model;

namespace Vae.MLNet.Transform;

/// <summary>Buffers and results of one batch of rows through the trained model: encoded inputs in, posterior heads
/// out, and when wanted the rows decoded from the posterior mean and their reconstruction losses and KL. One per
/// cursor or row; never shared.</summary>
internal sealed class BatchComputer
{
    private readonly VaeInference _inference;
    private readonly VaeInference.Workspace _workspace;
    private readonly float[] _reconstruction;
    private readonly float[] _kl;
    private readonly VaeInference.Workspace?[] _chunkWorkspaces;
    private int _rows;
    private int _claimed;

    /// <summary>Rows a thread claims at a time when threads share a batch: small enough that every thread finds work
    /// left, large enough that the kernels run in whole register blocks.</summary>
    private const int ChunkRows = 64;

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
        // One set of scratch buffers per thread that can share a batch: the reading thread's (0) and at least one other.
        _chunkWorkspaces = new VaeInference.Workspace?[Math.Max(2, Math.Min(Environment.ProcessorCount, (capacity + ChunkRows - 1) / ChunkRows))];
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

    /// <summary>Runs the model on the first <paramref name="rows"/> rows of <see cref="X"/> on this thread (its
    /// kernels split a large batch over the processors), then checks the results.</summary>
    /// <param name="rows">Rows filled.</param>
    /// <param name="firstRow">The input position of the first of them, for error messages.</param>
    /// <exception cref="InvalidOperationException">A row's outputs overflow (a value far outside the training range);
    /// the message names the row and the column furthest from its training mean.</exception>
    public void Compute(int rows, long firstRow)
    {
        ComputeRows(0, rows, _workspace, parallel: true);
        Check(rows, firstRow);
    }

    /// <summary>Opens the first <paramref name="rows"/> rows of <see cref="X"/> to <see cref="Run"/> and
    /// <see cref="RunWorkers"/>: the threads that call them claim chunks of rows in turn until none is left, each chunk
    /// computed on the claiming thread alone. A row's results do not depend on the chunk or the thread (the kernels'
    /// guarantee).</summary>
    public void Open(int rows)
    {
        _rows = rows;
        _claimed = 0;
    }

    /// <summary>Computes chunks of the opened rows on every processor but one (the caller's thread and as many pool
    /// threads as there are processors less two, at most one per chunk) until every chunk is claimed: the thread that
    /// reads the input joins in with <c>Run(0)</c> once it has read the next batch.</summary>
    public void RunWorkers()
    {
        var workers = Math.Min(_chunkWorkspaces.Length - 1, (_rows + ChunkRows - 1) / ChunkRows);
        if (workers <= 1)
        {
            Run(1);
            return;
        }

        Parallel.For(1, workers + 1, Run);
    }

    /// <summary>Computes chunks of the opened rows until every chunk is claimed, with the scratch buffers of
    /// <paramref name="participant"/> (no two threads run the same participant at once).</summary>
    public void Run(int participant)
    {
        var workspace = _chunkWorkspaces[participant] ??= _inference.CreateWorkspace(Math.Min(ChunkRows, Capacity));
        int start;
        while ((start = Interlocked.Add(ref _claimed, ChunkRows) - ChunkRows) < _rows)
        {
            ComputeRows(start, Math.Min(_rows, start + ChunkRows), workspace, parallel: false);
        }
    }

    /// <summary>Throws when a computed row's outputs are not finite: the first such row of the batch.</summary>
    /// <param name="rows">Rows computed.</param>
    /// <param name="firstRow">The input position of the first of them, for error messages.</param>
    public void Check(int rows, long firstRow)
    {
        for (var r = 0; r < rows; r++)
        {
            if (!AllFinite(Heads.AsSpan(r * 2 * _inference.Latent, 2 * _inference.Latent))
                || (Decodes && !AllFinite(DecodedRow(r)))
                || (Scores && !float.IsFinite(Score(r))))
            {
                throw Overflow(r, firstRow + r);
            }
        }
    }

    private void ComputeRows(int start, int end, VaeInference.Workspace workspace, bool parallel)
    {
        var rows = end - start;
        var latent2 = 2 * _inference.Latent;
        var x = X.AsSpan(start * Width);
        var heads = Heads.AsSpan(start * latent2);
        _inference.Encode(x, rows, heads, workspace, parallel);
        if (Decodes)
        {
            _inference.Decode(heads, latent2, rows, Decoded.AsSpan(start * _inference.OutputWidth), workspace, parallel);
        }

        if (Scores)
        {
            _inference.Score(x, heads, Decoded.AsSpan(start * _inference.OutputWidth), rows,
                _reconstruction.AsSpan(start * _inference.ColumnCount), _kl.AsSpan(start), workspace);
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

    private static bool AllFinite(ReadOnlySpan<float> values)
    {
        foreach (var value in values)
        {
            if (!float.IsFinite(value))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Standardised inputs stay finite by construction; the network's outputs can still overflow when a value
    /// lies very many standard deviations from its training mean. Names the most extreme numeric feature.</summary>
    private InvalidOperationException Overflow(int row, long position)
    {
        var x = InputRow(row);
        var culprit = string.Empty;
        var furthest = 0f;
        foreach (var column in _inference.Encoding.Columns.Where(c => c.Kind == VaeColumnKind.Numeric))
        {
            for (var i = 0; i < column.ValueCount; i++)
            {
                var distance = Math.Abs(x[column.Offset + i]);
                if (distance > furthest)
                {
                    furthest = distance;
                    var slot = column.Source.IsVector ? $" (slot {i})" : string.Empty;
                    culprit = $"; column '{column.Name}'{slot} is {distance.ToString("G3", System.Globalization.CultureInfo.InvariantCulture)} standard deviations from its training mean";
                }
            }
        }

        return new InvalidOperationException(
            $"The model's outputs for row {position} are not finite numbers: the row lies too far outside the training data{culprit}.");
    }
}
