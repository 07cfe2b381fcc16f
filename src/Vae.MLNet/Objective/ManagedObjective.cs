using System.Runtime.Intrinsics;
using Vae.MLNet.Columns;
using static TorchSharp.torch;

namespace Vae.MLNet.Objective;

/// <summary>The objective on the CPU, computed with its gradient in one managed pass over the batch: the same
/// function as <see cref="VaeObjective.Compute"/> (tests hold the two to each other, value and gradient), without
/// the tensor form's dozens of small operations forward and backward, which dominate a step on tabular widths. The
/// gradients with respect to the decoder output, the posterior mean and log-variance and the learned numeric
/// log-variance are written into tensors and back-propagated from those roots in one
/// <c>torch.autograd.backward</c> call.</summary>
internal sealed class ManagedObjective : BatchObjective
{
    private static readonly double Log2Pi = Math.Log(2 * Math.PI);

    private readonly int _columns;
    private readonly int _width;
    private readonly int _inputWidth;

    // Numeric and binary features as runs of consecutive features of one kind (with consecutive missing indicators):
    // per position, the loss scale and the owning column (-1: categorical); per numeric feature, its position.
    private readonly ElementRunSpan[] _runs;
    private readonly float[] _scales;
    private readonly int[] _featureColumns;
    private readonly int[] _numericPositions;
    private readonly Categorical[] _categorical;
    private readonly float[] _paddedLogits;
    private readonly float[] _paddedTargets;

    public ManagedObjective(ColumnEncoding encoding, VaeReconstructionReduction reduction)
    {
        _columns = encoding.Columns.Count;
        _width = encoding.Width;
        _inputWidth = encoding.InputWidth;
        var indicators = encoding.AllowsMissing ? encoding.FeatureIndicators() : null;
        _scales = new float[_width];
        _featureColumns = new int[_width];
        var numericPositions = new List<int>();
        var runs = new List<ElementRunSpan>();
        var categorical = new List<Categorical>();
        for (var c = 0; c < encoding.Columns.Count; c++)
        {
            var column = encoding.Columns[c];
            var scale = column.LossScale(reduction);
            for (var i = 0; i < column.Width; i++)
            {
                _scales[column.Offset + i] = scale;
                _featureColumns[column.Offset + i] = column.Kind == VaeColumnKind.Categorical ? -1 : c;
            }

            if (column.Kind == VaeColumnKind.Categorical)
            {
                categorical.Add(new Categorical(column.Offset, column.Width, c, scale));
                continue;
            }

            var binary = column.Kind == VaeColumnKind.Binary;
            var indicator = indicators is null ? -1 : (int)indicators[column.Offset];
            var numericStart = binary ? -1 : numericPositions.Count;
            if (!binary)
            {
                numericPositions.AddRange(Enumerable.Range(column.Offset, column.Width));
            }

            // Joins the previous run when it continues it: same kind, next position, next indicator.
            if (runs.Count > 0 && runs[^1] is var last && last.Binary == binary && last.Start + last.Length == column.Offset
                && (indicator < 0 ? last.Indicator < 0 : last.Indicator >= 0 && last.Indicator + last.Length == indicator))
            {
                runs[^1] = last with { Length = last.Length + column.Width };
            }
            else
            {
                runs.Add(new ElementRunSpan(column.Offset, column.Width, indicator, numericStart, binary));
            }
        }

        _runs = [.. runs];
        _numericPositions = [.. numericPositions];
        _categorical = [.. categorical];
        var widest = _categorical.Length == 0 ? 0 : (_categorical.Max(c => c.Width) + 7) & ~7;
        _paddedLogits = new float[widest];
        _paddedTargets = new float[widest];
    }

    public override BatchLoss Compute(
        Tensor output, Tensor x, Tensor mu, Tensor logVar, Tensor? numericLogVar, double beta, double freeBits, bool withGradient)
    {
        var rows = (int)output.shape[0];
        var latent = (int)mu.shape[1];
        var o = HostFloats(output);
        var input = HostFloats(x);
        var m = HostFloats(mu);
        var lv = HostFloats(logVar);
        var numericLv = numericLogVar is null ? default : HostFloats(numericLogVar);
        Span<float> gOutput = default, gMu = default, gLogVar = default, gNumericLv = default;
        Tensor? tOutput = null, tMu = null, tLogVar = null, tNumericLv = null;
        if (withGradient)
        {
            tOutput = HostZeros([rows, _width], out gOutput);
            tMu = HostZeros([rows, latent], out gMu);
            tLogVar = HostZeros([rows, latent], out gLogVar);
            if (numericLogVar is not null)
            {
                tNumericLv = HostZeros([numericLv.Length], out gNumericLv);
            }
        }

        var reconstruction = new double[_columns];
        var perRow = 1.0 / rows;

        // Numeric and binary features, a run of consecutive features at a time, 8 per vector.
        if (_runs.Length > 0)
        {
            var featureSums = new float[_width];
            float[]? inverseVariance = null, clampedLogVar = null, logVarGradient = null;
            if (numericLogVar is not null)
            {
                inverseVariance = new float[numericLv.Length];
                clampedLogVar = new float[numericLv.Length];
                logVarGradient = new float[numericLv.Length];
                for (var n = 0; n < numericLv.Length; n++)
                {
                    clampedLogVar[n] = (float)Math.Clamp(numericLv[n], VaeObjective.NumericLogVarMin, VaeObjective.NumericLogVarMax);
                    inverseVariance[n] = MathF.Exp(-clampedLogVar[n]);
                }
            }

            var factors = new float[_width];
            for (var i = 0; i < _width; i++)
            {
                factors[i] = (float)(_scales[i] * perRow);
            }

            for (var r = 0; r < rows; r++)
            {
                var outputRow = o.Slice(r * _width, _width);
                var inputRow = input.Slice(r * _inputWidth, _inputWidth);
                var gradientRow = withGradient ? gOutput.Slice(r * _width, _width) : default;
                foreach (var run in _runs)
                {
                    var kind = run.Binary ? RunKind.Binary : numericLogVar is null ? RunKind.SquaredError : RunKind.GaussianNll;
                    ElementRun(kind, run, outputRow, inputRow, gradientRow, factors, featureSums, inverseVariance, clampedLogVar, logVarGradient);
                }
            }

            for (var i = 0; i < _width; i++)
            {
                if (_featureColumns[i] >= 0)
                {
                    reconstruction[_featureColumns[i]] += featureSums[i] * (double)_scales[i];
                }
            }

            if (withGradient && logVarGradient is not null)
            {
                for (var n = 0; n < logVarGradient.Length; n++)
                {
                    // clamp passes the gradient inside its bounds, ends included.
                    var raw = numericLv[n];
                    var inside = raw >= VaeObjective.NumericLogVarMin && raw <= VaeObjective.NumericLogVarMax;
                    gNumericLv[n] = inside ? (float)(logVarGradient[n] * _scales[_numericPositions[n]] * perRow) : 0f;
                }
            }
        }

        // Categorical: softmax cross-entropy over the column's span. A missing category is an all-zero target: no
        // loss and no gradient.
        var paddedLogits = _paddedLogits.AsSpan();
        var paddedTargets = _paddedTargets.AsSpan();
        foreach (var column in _categorical)
        {
            double sum = 0;
            var factor = (float)(column.Scale * perRow);
            for (var r = 0; r < rows; r++)
            {
                sum += SoftmaxCrossEntropy(
                    o.Slice((r * _width) + column.Offset, column.Width),
                    input.Slice((r * _inputWidth) + column.Offset, column.Width),
                    withGradient ? gOutput.Slice((r * _width) + column.Offset, column.Width) : default,
                    factor,
                    paddedLogits,
                    paddedTargets);
            }

            reconstruction[column.Column] += sum * column.Scale;
        }

        for (var c = 0; c < reconstruction.Length; c++)
        {
            reconstruction[c] *= perRow;
        }

        // KL per dimension, batch mean of 0.5 (mu^2 + exp(logVar) - 1 - logVar), floored at 0 and, in the objective,
        // at the free bits; a floored dimension takes no gradient (clamp_min passes it from the bound up).
        var kl = new double[latent];
        for (var r = 0; r < rows; r++)
        {
            for (var j = 0; j < latent; j++)
            {
                double mean = m[(r * latent) + j], logVariance = lv[(r * latent) + j];
                kl[j] += 0.5 * ((mean * mean) + Math.Exp(logVariance) - 1 - logVariance);
            }
        }

        var total = reconstruction.Sum();
        for (var j = 0; j < latent; j++)
        {
            var raw = kl[j] * perRow;
            kl[j] = Math.Max(raw, 0);
            var passes = raw >= 0 && kl[j] >= freeBits;
            total += beta * Math.Max(kl[j], freeBits);
            if (withGradient && passes)
            {
                var factor = beta * perRow;
                for (var r = 0; r < rows; r++)
                {
                    var i = (r * latent) + j;
                    gMu[i] = (float)(factor * m[i]);
                    gLogVar[i] = (float)(factor * 0.5 * (Math.Exp(lv[i]) - 1));
                }
            }
        }

        if (!withGradient)
        {
            return new BatchLoss(total, reconstruction, kl, beta, null);
        }

        List<Tensor> roots = [output, mu, logVar];
        List<Tensor> gradients = [tOutput!, tMu!, tLogVar!];
        if (numericLogVar is not null)
        {
            roots.Add(numericLogVar);
            gradients.Add(tNumericLv!);
        }

        return new BatchLoss(total, reconstruction, kl, beta, () => autograd.backward(roots, gradients));
    }

    /// <summary>One row's loss terms and gradients of a run of numeric or binary features, 8 at a time (the tail
    /// padded with unobserved features, which contribute nothing). Terms add to <paramref name="featureSums"/>; under
    /// Gaussian NLL the log-variance gradient terms add to <paramref name="logVarGradient"/>.</summary>
    private static void ElementRun(
        RunKind kind, ElementRunSpan run, ReadOnlySpan<float> output, ReadOnlySpan<float> input, Span<float> gradient,
        float[] factors, float[] featureSums, float[]? inverseVariance, float[]? clampedLogVar, float[]? logVarGradient)
    {
        const int Lanes = 8;
        Span<float> padded = stackalloc float[4 * Lanes];
        Span<float> lanes = stackalloc float[3 * Lanes];
        var half = Vector256.Create(0.5f);
        var one = Vector256<float>.One;
        var log2Pi = Vector256.Create((float)Log2Pi);
        for (var k = 0; k < run.Length; k += Lanes)
        {
            var p = run.Start + k;
            var count = Math.Min(Lanes, run.Length - k);
            Vector256<float> o, t, m, f, sums;
            if (count == Lanes)
            {
                o = Vector256.Create(output.Slice(p, Lanes));
                t = Vector256.Create(input.Slice(p, Lanes));
                m = run.Indicator < 0 ? one : one - Vector256.Create(input.Slice(run.Indicator + k, Lanes));
                f = Vector256.Create(factors.AsSpan(p, Lanes));
            }
            else
            {
                padded.Clear();
                output.Slice(p, count).CopyTo(padded);
                input.Slice(p, count).CopyTo(padded[Lanes..]);
                if (run.Indicator < 0)
                {
                    padded.Slice(2 * Lanes, count).Fill(1f);
                }
                else
                {
                    for (var i = 0; i < count; i++)
                    {
                        padded[(2 * Lanes) + i] = 1f - input[run.Indicator + k + i];
                    }
                }

                factors.AsSpan(p, count).CopyTo(padded[(3 * Lanes)..]);
                o = Vector256.Create(padded[..Lanes]);
                t = Vector256.Create(padded.Slice(Lanes, Lanes));
                m = Vector256.Create(padded.Slice(2 * Lanes, Lanes));
                f = Vector256.Create(padded.Slice(3 * Lanes, Lanes));
            }

            Vector256<float> term, g;
            switch (kind)
            {
                case RunKind.SquaredError:
                {
                    var d = (o - t) * m;
                    term = (o - t) * d;
                    g = (d + d) * f;
                    break;
                }

                case RunKind.GaussianNll:
                {
                    var n = run.NumericStart + k;
                    inverseVariance.AsSpan(n, count).CopyTo(lanes);
                    clampedLogVar.AsSpan(n, count).CopyTo(lanes[Lanes..]);
                    var iv = Vector256.Create(lanes[..Lanes]);
                    var lv = Vector256.Create(lanes.Slice(Lanes, Lanes));
                    var d = o - t;
                    var squared = d * d * iv;
                    term = half * (squared + lv + log2Pi) * m;
                    g = d * iv * m * f;
                    (half * (one - squared) * m).CopyTo(lanes[(2 * Lanes)..]);
                    for (var i = 0; i < count; i++)
                    {
                        logVarGradient![n + i] += lanes[(2 * Lanes) + i];
                    }

                    break;
                }

                default:
                {
                    // Cross-entropy with logits in the stable form max(o, 0) - o t + log(1 + exp(-|o|)).
                    var e = VectorMath.Exp(-Vector256.Abs(o));
                    var onePlus = one + e;
                    term = (Vector256.Max(o, Vector256<float>.Zero) - (o * t) + VectorMath.Log1pUnit(e)) * m;
                    var sigmoid = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(o, Vector256<float>.Zero), one, e) / onePlus;
                    g = (sigmoid - t) * m * f;
                    break;
                }
            }

            if (count == Lanes)
            {
                sums = Vector256.Create(featureSums.AsSpan(p, Lanes)) + term;
                sums.CopyTo(featureSums.AsSpan(p, Lanes));
                if (!gradient.IsEmpty)
                {
                    g.CopyTo(gradient.Slice(p, Lanes));
                }
            }
            else
            {
                term.CopyTo(padded);
                g.CopyTo(padded[Lanes..]);
                for (var i = 0; i < count; i++)
                {
                    featureSums[p + i] += padded[i];
                }

                if (!gradient.IsEmpty)
                {
                    padded.Slice(Lanes, count).CopyTo(gradient.Slice(p, count));
                }
            }
        }
    }

    /// <summary>One row's softmax cross-entropy over a categorical column, -sum_k t_k log softmax(o)_k, eight
    /// categories at a time (the row copied into padded buffers: padding takes no probability and no target mass);
    /// writes its gradient (softmax(o) sum(t) - t) times <paramref name="factor"/> when a gradient span is given. An
    /// all-zero target (a missing category) gives 0 and leaves the gradient as it is (zero).</summary>
    private static double SoftmaxCrossEntropy(
        ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, Span<float> gradient, float factor, Span<float> paddedLogits, Span<float> paddedTargets)
    {
        const int Lanes = 8;
        var width = logits.Length;
        var padded = (width + Lanes - 1) & ~(Lanes - 1);
        var l = paddedLogits[..padded];
        var t = paddedTargets[..padded];
        logits.CopyTo(l);
        targets.CopyTo(t);
        // The lowest float, not -inf: 0 x -inf would be NaN in the target-weighted sum.
        l[width..].Fill(float.MinValue);
        t[width..].Clear();

        var maxima = Vector256.Create(float.MinValue);
        Vector256<float> masses = default, dots = default;
        for (var k = 0; k < padded; k += Lanes)
        {
            var o = Vector256.Create(l.Slice(k, Lanes));
            var y = Vector256.Create(t.Slice(k, Lanes));
            maxima = Vector256.Max(maxima, o);
            masses += y;
            dots += y * o;
        }

        var mass = Vector256.Sum(masses);
        if (mass == 0)
        {
            return 0;
        }

        var max = maxima[0];
        for (var i = 1; i < Lanes; i++)
        {
            max = maxima[i] > max ? maxima[i] : max;
        }

        var shift = Vector256.Create(max);
        var totals = Vector256<float>.Zero;
        for (var k = 0; k < padded; k += Lanes)
        {
            var e = VectorMath.Exp(Vector256.Create(l.Slice(k, Lanes)) - shift);
            e.CopyTo(l.Slice(k, Lanes));
            totals += e;
        }

        double total = Vector256.Sum(totals);
        var loss = (mass * (max + Math.Log(total))) - Vector256.Sum(dots);
        if (!gradient.IsEmpty)
        {
            var share = Vector256.Create((float)(mass / total));
            var scale = Vector256.Create(factor);
            for (var k = 0; k < padded; k += Lanes)
            {
                var g = ((Vector256.Create(l.Slice(k, Lanes)) * share) - Vector256.Create(t.Slice(k, Lanes))) * scale;
                g.CopyTo(l.Slice(k, Lanes));
            }

            l[..width].CopyTo(gradient);
        }

        return loss;
    }

    private enum RunKind
    {
        SquaredError,
        GaussianNll,
        Binary,
    }

    /// <summary>Consecutive numeric or binary features: first position, count, first missing indicator (-1: none),
    /// first numeric index (-1 for binary).</summary>
    private readonly record struct ElementRunSpan(int Start, int Length, int Indicator, int NumericStart, bool Binary);

    private readonly record struct Categorical(int Offset, int Width, int Column, float Scale);
}
