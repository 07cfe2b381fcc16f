using System.Runtime.Intrinsics;
using Vae.MLNet.Columns;

namespace Vae.MLNet.Objective;

/// <summary>The reconstruction and KL terms written once, in managed code: the training objective on the CPU
/// (<see cref="ManagedObjective"/>, a batch at a time, with gradients) and the transformer's per-row score
/// (<c>VaeInference.Score</c>, without) both run these kernels over one <see cref="Layout"/>. The tensor form
/// (<see cref="VaeObjective"/>, for other devices) is held equal to them by the tests.</summary>
internal static class LossKernels
{
    /// <summary>ln(2 pi), of the Gaussian negative log-likelihood.</summary>
    public static readonly double Log2Pi = Math.Log(2 * Math.PI);

    /// <summary>TVAE's bounds on the learned standard deviation of numeric features, [0.01, 1], as bounds of its
    /// log-variance (which every form of the objective clamps to).</summary>
    public static readonly double NumericLogVarMin = 2 * Math.Log(0.01);

    /// <summary>The upper bound: a standard deviation of 1 (see <see cref="NumericLogVarMin"/>).</summary>
    public const double NumericLogVarMax = 0;

    /// <summary>The factor on each of a column's per-feature reconstruction terms. Sum: the column's weight on every
    /// term. ColumnMean: the terms are averaged over the column's width, so the column counts once.</summary>
    public static float LossScale(EncodedColumn column, VaeReconstructionReduction reduction) =>
        (float)(reduction == VaeReconstructionReduction.ColumnMean ? column.Weight / column.Width : column.Weight);

    /// <summary>One latent dimension's KL term of one row, KL(N(mu, exp(logVar)) || N(0, 1)).</summary>
    public static double KlTerm(double mu, double logVar) => 0.5 * ((mu * mu) + Math.Exp(logVar) - 1 - logVar);

    /// <summary>How the kernels walk an encoding: numeric and binary features as runs of consecutive features of one
    /// kind (with consecutive missing indicators); per position, the loss scale and the owning column (-1:
    /// categorical); per numeric feature, its position; the categorical columns.</summary>
    public sealed class Layout
    {
        public Layout(ColumnEncoding encoding, VaeReconstructionReduction reduction)
        {
            var width = encoding.Width;
            var indicators = encoding.AllowsMissing ? encoding.FeatureIndicators() : null;
            Scales = new float[width];
            FeatureColumns = new int[width];
            ColumnScales = new float[encoding.Columns.Count];
            var numericPositions = new List<int>();
            var runs = new List<ElementRunSpan>();
            var categorical = new List<Categorical>();
            for (var c = 0; c < encoding.Columns.Count; c++)
            {
                var column = encoding.Columns[c];
                var scale = LossScale(column, reduction);
                ColumnScales[c] = scale;
                // A mode-specific column is two numeric features (the standardised value, the place within the
                // component) followed by a categorical span (the component).
                var elements = column.Kind == VaeColumnKind.Categorical ? 0 : column.Modes is null ? column.Width : 2;
                for (var i = 0; i < column.Width; i++)
                {
                    Scales[column.Offset + i] = scale;
                    FeatureColumns[column.Offset + i] = i < elements ? c : -1;
                }

                if (elements < column.Width)
                {
                    categorical.Add(new Categorical(column.Offset + elements, column.Width - elements, c, scale));
                }

                if (elements == 0)
                {
                    continue;
                }

                var binary = column.Kind == VaeColumnKind.Binary;
                var indicator = indicators is null ? -1 : (int)indicators[column.Offset];
                var numericStart = binary ? -1 : numericPositions.Count;
                if (!binary)
                {
                    numericPositions.AddRange(Enumerable.Range(column.Offset, elements));
                }

                if (column.Modes is not null)
                {
                    // Both features share the column's one indicator: two runs of one.
                    runs.Add(new ElementRunSpan(column.Offset, 1, indicator, numericStart, false));
                    runs.Add(new ElementRunSpan(column.Offset + 1, 1, indicator, numericStart + 1, false));
                    continue;
                }

                // Joins the previous run when it continues it: same kind, next position, next indicator.
                if (runs.Count > 0 && runs[^1] is var last && last.Binary == binary && last.Start + last.Length == column.Offset
                    && (indicator < 0 ? last.Indicator < 0 : last.Indicator >= 0 && last.Indicator + last.Length == indicator))
                {
                    runs[^1] = last with { Length = last.Length + elements };
                }
                else
                {
                    runs.Add(new ElementRunSpan(column.Offset, elements, indicator, numericStart, binary));
                }
            }

            Runs = [.. runs];
            NumericPositions = [.. numericPositions];
            Categorical = [.. categorical];
            PaddedCategoricalWidth = Categorical.Length == 0 ? 0 : (Categorical.Max(c => c.Width) + 7) & ~7;
        }

        public ElementRunSpan[] Runs { get; }

        /// <summary>Per feature, its column's loss scale.</summary>
        public float[] Scales { get; }

        /// <summary>Per column, its loss scale.</summary>
        public float[] ColumnScales { get; }

        /// <summary>Per feature, the numeric or binary column that owns it (-1: a categorical feature).</summary>
        public int[] FeatureColumns { get; }

        /// <summary>Per numeric feature, its position in the encoded vector.</summary>
        public int[] NumericPositions { get; }

        public Categorical[] Categorical { get; }

        /// <summary>The widest categorical column rounded up to whole vectors: the size of the kernels' scratch.</summary>
        public int PaddedCategoricalWidth { get; }
    }

    /// <summary>One row's loss terms and gradients of a run of numeric or binary features, 8 at a time (the tail
    /// padded with unobserved features, which contribute nothing). Terms add to <paramref name="featureSums"/>; under
    /// Gaussian NLL the log-variance gradient terms add to <paramref name="logVarGradient"/>.</summary>
    public static void ElementRun(
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
                    for (var i = 0; logVarGradient is not null && i < count; i++)
                    {
                        logVarGradient[n + i] += lanes[(2 * Lanes) + i];
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
    public static double SoftmaxCrossEntropy(
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

    public enum RunKind
    {
        SquaredError,
        GaussianNll,
        Binary,
    }

    /// <summary>Consecutive numeric or binary features: first position, count, first missing indicator (-1: none),
    /// first numeric index (-1 for binary).</summary>
    public readonly record struct ElementRunSpan(int Start, int Length, int Indicator, int NumericStart, bool Binary)
    {
        /// <summary>The loss of the run: binary cross-entropy, or for numbers squared error or, with learned
        /// variances, Gaussian negative log-likelihood.</summary>
        public RunKind KindFor(bool gaussian) => Binary ? RunKind.Binary : gaussian ? RunKind.GaussianNll : RunKind.SquaredError;
    }

    /// <summary>A categorical column: its span, its index among the columns and its loss scale.</summary>
    public readonly record struct Categorical(int Offset, int Width, int Column, float Scale);
}
