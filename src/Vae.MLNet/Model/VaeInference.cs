using Vae.MLNet.Columns;
using Vae.MLNet.Objective;

namespace Vae.MLNet.Model;

/// <summary>Runs a trained VAE on batches of encoded rows with managed kernels: posterior heads, decoding, and
/// per-row scores. Thread-safe: all mutable state lives in the caller's <see cref="Workspace"/>.</summary>
internal sealed class VaeInference
{
    private readonly VaeWeights _weights;
    private readonly ColumnEncoding _encoding;
    private readonly float[] _scales;

    public VaeInference(VaeWeights weights, ColumnEncoding encoding, VaeReconstructionReduction reduction)
    {
        _weights = weights;
        _encoding = encoding;
        _scales = encoding.Columns
            .Select(c => c.LossScale(reduction))
            .ToArray();
    }

    public int Latent => _weights.Latent;

    /// <summary>Width of an encoded input row (features, then missing-value indicators).</summary>
    public int InputWidth => _weights.InputWidth;

    /// <summary>Width of a decoded row (the features).</summary>
    public int OutputWidth => _weights.OutputWidth;

    public ColumnEncoding Encoding => _encoding;

    public int ColumnCount => _encoding.Columns.Count;

    /// <summary>Scratch buffers for batches of up to <paramref name="capacity"/> rows.</summary>
    public Workspace CreateWorkspace(int capacity) => new(capacity, _weights.MaxWidth);

    /// <summary>heads (rows x 2 latent) = [mu, log-variance] of each encoded row.</summary>
    public void Encode(ReadOnlySpan<float> x, int rows, Span<float> heads, Workspace workspace)
    {
        var current = x.Slice(0, rows * _weights.InputWidth);
        var useA = true;
        foreach (var layer in _weights.Encoder)
        {
            var next = (useA ? workspace.A : workspace.B).AsSpan(0, rows * layer.Out);
            DenseKernels.Forward(layer, current, rows, next, _weights.Activation);
            current = next;
            useA = !useA;
        }

        var output = heads.Slice(0, rows * 2 * _weights.Latent);
        DenseKernels.Forward(_weights.Heads, current, rows, output, null);
        var latent = _weights.Latent;
        for (var r = 0; r < rows; r++)
        {
            var logVar = output.Slice((r * 2 * latent) + latent, latent);
            for (var j = 0; j < latent; j++)
            {
                logVar[j] = Math.Clamp(logVar[j], (float)VaeObjective.LogVarMin, (float)VaeObjective.LogVarMax);
            }
        }
    }

    /// <summary>output (rows x input width) = decoder(z): predictions for numeric features, logits otherwise.</summary>
    /// <param name="z">Latent rows.</param>
    /// <param name="zStride">Distance between rows of <paramref name="z"/> (2 x latent when reading encoder heads).</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="output">Destination.</param>
    /// <param name="workspace">Scratch buffers.</param>
    public void Decode(ReadOnlySpan<float> z, int zStride, int rows, Span<float> output, Workspace workspace)
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
            DenseKernels.Forward(layer, current, rows, next, last ? null : _weights.Activation);
            current = next;
            useA = !useA;
        }
    }

    /// <summary>Per-row reconstruction loss of each column (weighted, as in training; missing values count 0) and
    /// KL, from the encoded rows, the encoder heads and the decoded outputs.</summary>
    public void Score(ReadOnlySpan<float> x, ReadOnlySpan<float> heads, ReadOnlySpan<float> decoded, int rows, Span<float> reconstruction, Span<float> kl)
    {
        var inputWidth = _weights.InputWidth;
        var width = _weights.OutputWidth;
        var latent = _weights.Latent;
        var columns = _encoding.Columns;
        var allowsMissing = _encoding.AllowsMissing;
        for (var r = 0; r < rows; r++)
        {
            var row = x.Slice(r * inputWidth, inputWidth);
            var output = decoded.Slice(r * width, width);
            var numericIndex = 0;
            for (var c = 0; c < columns.Count; c++)
            {
                var column = columns[c];
                var t = row.Slice(column.Offset, column.Width);
                var o = output.Slice(column.Offset, column.Width);
                var missing = allowsMissing && column.Kind != VaeColumnKind.Categorical
                    ? row.Slice(_encoding.IndicatorOffsets[c], column.Width)
                    : default;
                double loss = 0;
                switch (column.Kind)
                {
                    case VaeColumnKind.Numeric:
                        for (var i = 0; i < t.Length; i++, numericIndex++)
                        {
                            if (allowsMissing && missing[i] > 0)
                            {
                                continue;
                            }

                            double d = o[i] - t[i];
                            if (_weights.NumericLogVar.Length > 0)
                            {
                                var lv = Math.Clamp(_weights.NumericLogVar[numericIndex], VaeObjective.NumericLogVarMin, VaeObjective.NumericLogVarMax);
                                loss += 0.5 * ((d * d * Math.Exp(-lv)) + lv + Math.Log(2 * Math.PI));
                            }
                            else
                            {
                                loss += d * d;
                            }
                        }

                        break;
                    case VaeColumnKind.Binary:
                        for (var i = 0; i < t.Length; i++)
                        {
                            if (allowsMissing && missing[i] > 0)
                            {
                                continue;
                            }

                            double logit = o[i];
                            loss += Math.Max(logit, 0) - (logit * t[i]) + Math.Log(1 + Math.Exp(-Math.Abs(logit)));
                        }

                        break;
                    default:
                    {
                        double max = double.NegativeInfinity;
                        for (var i = 0; i < o.Length; i++)
                        {
                            max = Math.Max(max, o[i]);
                        }

                        double sum = 0;
                        for (var i = 0; i < o.Length; i++)
                        {
                            sum += Math.Exp(o[i] - max);
                        }

                        var logSum = max + Math.Log(sum);
                        for (var i = 0; i < t.Length; i++)
                        {
                            loss -= t[i] * (o[i] - logSum);
                        }

                        break;
                    }
                }

                reconstruction[(r * columns.Count) + c] = (float)(loss * _scales[c]);
            }

            var head = heads.Slice(r * 2 * latent, 2 * latent);
            double divergence = 0;
            for (var j = 0; j < latent; j++)
            {
                double mu = head[j], lv = head[latent + j];
                divergence += Math.Max(0, 0.5 * ((mu * mu) + Math.Exp(lv) - 1 - lv));
            }

            kl[r] = (float)divergence;
        }
    }

    /// <summary>Scratch buffers of one consumer (a cursor, a row mapper, a thread).</summary>
    internal sealed class Workspace(int capacity, int maxWidth)
    {
        public int Capacity { get; } = capacity;

        public float[] A { get; } = new float[capacity * maxWidth];

        public float[] B { get; } = new float[capacity * maxWidth];

        public float[] Z { get; } = new float[capacity * maxWidth];
    }
}
