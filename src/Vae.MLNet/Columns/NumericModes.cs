using Vae.MLNet.Persistence;

namespace Vae.MLNet.Columns;

/// <summary>The mode-specific encoding of a scalar numeric column: its point masses (exact values that a large
/// share of rows hold) and the Gaussian components of the rest, learned at fit. A value becomes the one-hot of its
/// component plus its place within the component, (x - mean) / std (0 for a point mass); decoding inverts it. The
/// methods here take the mode part of the column's span (after its standardised value): the place first, then one
/// position per component, the points, then the Gaussians.</summary>
/// <remarks>A value is assigned its most likely component, not one drawn from the posterior as TVAE's encoder does:
/// the encoding stays a function of the value, so the transform is deterministic and training sees what it sees.</remarks>
internal sealed class NumericModes
{
    public NumericModes(double[] points, double[] weights, double[] means, double[] stds)
    {
        if (means.Length == 0 || weights.Length != means.Length || stds.Length != means.Length)
        {
            throw new ArgumentException("A mode-specific encoding needs at least one Gaussian component, each with a weight, mean and deviation.");
        }

        Points = points;
        Weights = weights;
        Means = means;
        Stds = stds;
        _logPrior = new double[means.Length];
        for (var k = 0; k < means.Length; k++)
        {
            _logPrior[k] = Math.Log(Math.Max(weights[k], 1e-300)) - Math.Log(stds[k]);
        }
    }

    private readonly double[] _logPrior;

    /// <summary>The point masses, in the order of their one-hot positions.</summary>
    public double[] Points { get; }

    /// <summary>The Gaussian components' weights among the values that are no point mass.</summary>
    public double[] Weights { get; }

    /// <summary>The Gaussian components' means.</summary>
    public double[] Means { get; }

    /// <summary>The Gaussian components' standard deviations.</summary>
    public double[] Stds { get; }

    /// <summary>The number of components: the one-hot width.</summary>
    public int Count => Points.Length + Means.Length;

    /// <summary>Whether component <paramref name="k"/> is a point mass.</summary>
    public bool IsPoint(int k) => k < Points.Length;

    /// <summary>The component a value belongs to: its point mass where it is one, else the Gaussian under which it is
    /// most likely (weight times density).</summary>
    public int ComponentOf(double x)
    {
        for (var k = 0; k < Points.Length; k++)
        {
            if (x == Points[k])
            {
                return k;
            }
        }

        var best = 0;
        var bestScore = double.NegativeInfinity;
        for (var k = 0; k < Means.Length; k++)
        {
            var d = (x - Means[k]) / Stds[k];
            var score = _logPrior[k] - (0.5 * d * d);
            if (score > bestScore)
            {
                bestScore = score;
                best = k;
            }
        }

        return Points.Length + best;
    }

    /// <summary>A value's place within its component: standard deviations from the component's mean (0 for a point).</summary>
    public double Within(double x, int component) =>
        IsPoint(component) ? 0 : (x - Means[component - Points.Length]) / Stds[component - Points.Length];

    /// <summary>The value at <paramref name="within"/> standard deviations from component <paramref name="component"/>'s
    /// mean (the point itself for a point mass).</summary>
    public double Value(int component, double within) =>
        IsPoint(component) ? Points[component] : Means[component - Points.Length] + (within * Stds[component - Points.Length]);

    /// <summary>Encodes a value into the column's span: the place within the component, then the one-hot.</summary>
    public void Encode(double x, Span<float> span)
    {
        var k = ComponentOf(x);
        span[0] = (float)Within(x, k);
        span[1 + k] = 1f;
    }

    /// <summary>The decoder's expected value (the conditional mean, as for a standardised column): each component's
    /// value at the decoded place, weighted by the softmax of the component logits.</summary>
    /// <param name="outputs">The column's decoded span: the place, then a logit per component.</param>
    public double Expected(ReadOnlySpan<float> outputs)
    {
        var logits = outputs.Slice(1, Count);
        var max = float.NegativeInfinity;
        foreach (var l in logits)
        {
            max = Math.Max(max, l);
        }

        double total = 0, sum = 0;
        for (var k = 0; k < Count; k++)
        {
            var p = Math.Exp(logits[k] - max);
            total += p;
            sum += p * Value(k, outputs[0]);
        }

        return sum / total;
    }

    /// <summary>A component drawn from the softmax of the decoded logits.</summary>
    public int DrawComponent(ReadOnlySpan<float> outputs, Random random)
    {
        var logits = outputs.Slice(1, Count);
        var max = float.NegativeInfinity;
        foreach (var l in logits)
        {
            max = Math.Max(max, l);
        }

        double total = 0;
        foreach (var l in logits)
        {
            total += Math.Exp(l - max);
        }

        var u = random.NextDouble() * total;
        for (var k = 0; k < Count; k++)
        {
            u -= Math.Exp(logits[k] - max);
            if (u <= 0)
            {
                return k;
            }
        }

        return Count - 1;
    }

    /// <summary>log-softmax of the decoded component logits, into <paramref name="destination"/>.</summary>
    public void LogProbabilities(ReadOnlySpan<float> outputs, Span<double> destination)
    {
        var logits = outputs.Slice(1, Count);
        double max = double.NegativeInfinity;
        foreach (var l in logits)
        {
            max = Math.Max(max, l);
        }

        double total = 0;
        foreach (var l in logits)
        {
            total += Math.Exp(l - max);
        }

        var log = max + Math.Log(total);
        for (var k = 0; k < Count; k++)
        {
            destination[k] = logits[k] - log;
        }
    }

    public void Write(ModelWriter writer)
    {
        writer.Write(Points.Length);
        foreach (var p in Points)
        {
            writer.Write(p);
        }

        writer.Write(Means.Length);
        for (var k = 0; k < Means.Length; k++)
        {
            writer.Write(Weights[k]);
            writer.Write(Means[k]);
            writer.Write(Stds[k]);
        }
    }

    public static NumericModes Read(ModelReader reader, string column)
    {
        var points = new double[ModelFormat.CheckCount(reader.ReadInt32(), "point mass count", 1 << 10)];
        for (var k = 0; k < points.Length; k++)
        {
            points[k] = reader.ReadDouble();
        }

        var count = ModelFormat.CheckCount(reader.ReadInt32(), "component count", 1 << 10);
        var (weights, means, stds) = (new double[count], new double[count], new double[count]);
        for (var k = 0; k < count; k++)
        {
            (weights[k], means[k], stds[k]) = (reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble());
        }

        ModelFormat.Check(
            count > 0 && points.All(double.IsFinite) && weights.All(w => w >= 0 && w <= 1) && means.All(double.IsFinite) && stds.All(s => s > 0 && double.IsFinite(s)),
            $"column '{column}' has an invalid mode-specific encoding");
        return new NumericModes(points, weights, means, stds);
    }
}
