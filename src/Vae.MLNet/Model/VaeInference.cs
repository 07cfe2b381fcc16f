using Vae.MLNet.Columns;
using Vae.MLNet.Objective;

namespace Vae.MLNet.Model;

/// <summary>Runs a trained VAE on batches of encoded rows with managed kernels: posterior heads, decoding, and
/// per-row scores. Thread-safe: all mutable state lives in the caller's <see cref="Workspace"/>.</summary>
internal sealed class VaeInference
{
    private readonly VaeWeights _weights;
    private readonly ColumnEncoding _encoding;
    private readonly LossKernels.Layout _layout;

    // Under Gaussian NLL: per numeric feature, the learned log-variance clamped as in training, and exp(-it).
    private readonly float[]? _clampedLogVar;
    private readonly float[]? _inverseVariance;

    public VaeInference(VaeWeights weights, ColumnEncoding encoding, VaeReconstructionReduction reduction)
    {
        _weights = weights;
        _encoding = encoding;
        _layout = new LossKernels.Layout(encoding, reduction);
        if (weights.NumericLogVar.Length > 0)
        {
            _clampedLogVar = weights.NumericLogVar.Select(v => (float)Math.Clamp(v, LossKernels.NumericLogVarMin, LossKernels.NumericLogVarMax)).ToArray();
            _inverseVariance = _clampedLogVar.Select(v => MathF.Exp(-v)).ToArray();
        }
    }

    public int Latent => _weights.Latent;

    /// <summary>The weights it runs.</summary>
    public VaeWeights Weights => _weights;

    /// <summary>How the score walks the encoding (the loss scale of each column).</summary>
    public LossKernels.Layout Layout => _layout;

    /// <summary>Width of an encoded input row (features, then missing-value indicators).</summary>
    public int InputWidth => _weights.InputWidth;

    /// <summary>Width of a decoded row (the features).</summary>
    public int OutputWidth => _weights.OutputWidth;

    public ColumnEncoding Encoding => _encoding;

    public int ColumnCount => _encoding.Columns.Count;

    /// <summary>Scratch buffers for batches of up to <paramref name="capacity"/> rows.</summary>
    public Workspace CreateWorkspace(int capacity) => new(capacity, _weights.MaxWidth, _weights.OutputWidth, _encoding.Columns.Count, _layout.PaddedCategoricalWidth);

    /// <summary>heads (rows x 2 latent) = [mu, log-variance] of each encoded row; the kernels split a large batch over
    /// the processors unless <paramref name="parallel"/> is false.</summary>
    public void Encode(ReadOnlySpan<float> x, int rows, Span<float> heads, Workspace workspace, bool parallel = true)
    {
        var current = x.Slice(0, rows * _weights.InputWidth);
        var useA = true;
        foreach (var layer in _weights.Encoder)
        {
            var next = (useA ? workspace.A : workspace.B).AsSpan(0, rows * layer.Out);
            DenseKernels.Forward(layer, current, rows, next, _weights.Activation, parallel);
            current = next;
            useA = !useA;
        }

        var output = heads.Slice(0, rows * 2 * _weights.Latent);
        DenseKernels.Forward(_weights.Heads, current, rows, output, null, parallel);
        var latent = _weights.Latent;
        for (var r = 0; r < rows; r++)
        {
            var logVar = output.Slice((r * 2 * latent) + latent, latent);
            for (var j = 0; j < latent; j++)
            {
                logVar[j] = Math.Clamp(logVar[j], (float)VaeNetwork.LogVarMin, (float)VaeNetwork.LogVarMax);
            }
        }
    }

    /// <summary>output (rows x input width) = decoder(z): predictions for numeric features, logits otherwise.</summary>
    /// <param name="z">Latent rows.</param>
    /// <param name="zStride">Distance between rows of <paramref name="z"/> (2 x latent when reading encoder heads).</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="output">Destination.</param>
    /// <param name="workspace">Scratch buffers.</param>
    /// <param name="parallel">Whether the kernels may split a large batch over the processors.</param>
    public void Decode(ReadOnlySpan<float> z, int zStride, int rows, Span<float> output, Workspace workspace, bool parallel = true)
    {
        var latent = _weights.Latent;
        var packed = workspace.Z.AsSpan(0, rows * latent);
        for (var r = 0; r < rows; r++)
        {
            z.Slice(r * zStride, latent).CopyTo(packed.Slice(r * latent, latent));
        }

        ReadOnlySpan<float> current = packed;
        var useA = true;
        for (var i = 0; i < _weights.Decoder.Length; i++)
        {
            var layer = _weights.Decoder[i];
            var last = i == _weights.Decoder.Length - 1;
            var next = last ? output.Slice(0, rows * layer.Out) : (useA ? workspace.A : workspace.B).AsSpan(0, rows * layer.Out);
            DenseKernels.Forward(layer, current, rows, next, last ? null : _weights.Activation, parallel);
            current = next;
            useA = !useA;
        }
    }

    /// <summary>Per-row reconstruction loss of each column (weighted, as in training; missing values count 0) and
    /// KL, from the encoded rows, the encoder heads and the decoded outputs: the training objective's own kernels
    /// (<see cref="LossKernels"/>), one row at a time.</summary>
    public void Score(
        ReadOnlySpan<float> x, ReadOnlySpan<float> heads, ReadOnlySpan<float> decoded, int rows, Span<float> reconstruction, Span<float> kl, Workspace workspace)
    {
        var inputWidth = _weights.InputWidth;
        var width = _weights.OutputWidth;
        var latent = _weights.Latent;
        var columns = _encoding.Columns.Count;
        var sums = workspace.FeatureSums;
        var gaussian = _inverseVariance is not null;
        for (var r = 0; r < rows; r++)
        {
            var row = x.Slice(r * inputWidth, inputWidth);
            var output = decoded.Slice(r * width, width);
            var losses = reconstruction.Slice(r * columns, columns);
            Array.Clear(sums);
            foreach (var run in _layout.Runs)
            {
                LossKernels.ElementRun(run.KindFor(gaussian), run, output, row, default, _layout.Scales, sums, _inverseVariance, _clampedLogVar, null);
            }

            var perColumn = workspace.ColumnSums;
            Array.Clear(perColumn);
            for (var i = 0; i < width; i++)
            {
                if (_layout.FeatureColumns[i] >= 0)
                {
                    perColumn[_layout.FeatureColumns[i]] += sums[i] * (double)_layout.Scales[i];
                }
            }

            foreach (var column in _layout.Categorical)
            {
                var loss = LossKernels.SoftmaxCrossEntropy(
                    output.Slice(column.Offset, column.Width), row.Slice(column.Offset, column.Width), default, 0f,
                    workspace.PaddedLogits, workspace.PaddedTargets);
                perColumn[column.Column] += loss * column.Scale;
            }

            for (var c = 0; c < columns; c++)
            {
                losses[c] = (float)perColumn[c];
            }

            var head = heads.Slice(r * 2 * latent, 2 * latent);
            double divergence = 0;
            for (var j = 0; j < latent; j++)
            {
                divergence += Math.Max(0, LossKernels.KlTerm(head[j], head[latent + j]));
            }

            kl[r] = (float)divergence;
        }
    }

    /// <summary>Scratch buffers of one consumer (a cursor, a row mapper, a thread).</summary>
    internal sealed class Workspace(int capacity, int maxWidth, int outputWidth, int columns, int paddedCategoricalWidth)
    {
        public float[] A { get; } = new float[capacity * maxWidth];

        public float[] B { get; } = new float[capacity * maxWidth];

        public float[] Z { get; } = new float[capacity * maxWidth];

        /// <summary>The score's per-feature sums of one row.</summary>
        public float[] FeatureSums { get; } = new float[outputWidth];

        /// <summary>The score's per-column sums of one row.</summary>
        public double[] ColumnSums { get; } = new double[columns];

        public float[] PaddedLogits { get; } = new float[paddedCategoricalWidth];

        public float[] PaddedTargets { get; } = new float[paddedCategoricalWidth];
    }
}
