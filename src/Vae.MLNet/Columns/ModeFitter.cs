namespace Vae.MLNet.Columns;

/// <summary>Learns a scalar numeric column's <see cref="NumericModes"/> from a sample of its values: point masses
/// first (values that at least <see cref="PointShare"/> of the sample hold), then a 1-D Gaussian mixture of the
/// rest by expectation-maximisation, with as many components (up to <see cref="MaxComponents"/>) as the Bayesian
/// information criterion asks for, and components below <see cref="MinWeight"/> dropped (RDT's
/// ClusterBasedNormalizer, which TVAE uses, keeps at most 10 above 0.005). The automatic choice takes modes where there
/// is a point mass, or where the values fall clearly into several modes (<see cref="MaxAssignmentEntropy"/>). Deterministic: the mixture starts from
/// the sample's quantiles, so no seed is needed beyond the sample's.</summary>
internal static class ModeFitter
{
    /// <summary>The values sampled per column at fit. The mixture of 10,000 values has standard errors of about 1% of
    /// a component's deviation for a component of 5% weight, and a point mass of 5% is seen about 500 times; EM over
    /// it takes milliseconds, where fitting every row (as RDT does) costs most of TVAE's preprocessing.</summary>
    public const int SampleSize = 10_000;

    /// <summary>The share of rows a value must hold to be a point mass of its own.</summary>
    public const double PointShare = 0.05;

    /// <summary>The most point masses a column keeps (the largest shares).</summary>
    public const int MaxPoints = 10;

    /// <summary>The most Gaussian components.</summary>
    public const int MaxComponents = 10;

    /// <summary>Components below this weight are dropped.</summary>
    public const double MinWeight = 0.005;

    private const int MaxIterations = 200;

    /// <summary>The automatic choice takes modes without a point mass only where the values fall clearly into them:
    /// the mean entropy of a value's component, given the value, at most this (nats). Overlapping components (a
    /// skewed hump that BIC splits, or two groups a standard deviation or so apart) leave each value's component
    /// uncertain: its one-hot would then be noise to the model, and one Gaussian describes the column as well.</summary>
    public const double MaxAssignmentEntropy = 0.2;

    /// <summary>Fits the modes of a sample. Returns null when the sample shows neither a point mass nor more than one
    /// component, so plain standardisation describes the column as well (the automatic choice).</summary>
    /// <param name="sample">The sampled values (finite, any order).</param>
    /// <param name="decimals">The decimal places every value of the column fits in (-1: more than 4), which sets the
    /// smallest deviation a component may have (half the values' resolution, so a mixture cannot collapse onto one
    /// whole number).</param>
    /// <param name="force">Fit modes even where one Gaussian would do (the user asked for it).</param>
    public static NumericModes? Fit(ReadOnlySpan<double> sample, int decimals, bool force)
    {
        if (sample.Length == 0)
        {
            return force ? new NumericModes([], [1], [0], [1]) : null;
        }

        var sorted = sample.ToArray();
        Array.Sort(sorted);
        var points = Points(sorted);
        var rest = points.Length == 0 ? sorted : sorted.Where(x => Array.IndexOf(points, x) < 0).ToArray();

        var overall = Deviation(sorted);
        var floor = Math.Max(decimals >= 0 ? 0.5 * Math.Pow(10, -decimals) : 0, 1e-6 * Math.Max(overall, Math.Abs(sorted[sorted.Length / 2])));
        if (floor == 0)
        {
            floor = 1e-12;
        }

        Mixture mixture;
        if (rest.Length == 0)
        {
            // Every value is a point mass: one Gaussian still takes the values that are none (unseen at fit).
            var mean = sorted.Average();
            mixture = new Mixture([1], [mean], [Math.Max(overall, floor)], 0);
        }
        else
        {
            mixture = Select(rest, floor);
        }

        if (!force && points.Length == 0 && (mixture.Weights.Length == 1 || AssignmentEntropy(rest, mixture) > MaxAssignmentEntropy))
        {
            return null;
        }

        return new NumericModes(points, mixture.Weights, mixture.Means, mixture.Stds);
    }

    /// <summary>Values held by at least <see cref="PointShare"/> of the sorted sample, largest share first.</summary>
    internal static double[] Points(double[] sorted)
    {
        var threshold = Math.Max(2, (int)Math.Ceiling(PointShare * sorted.Length));
        var found = new List<(double Value, int Count)>();
        for (var i = 0; i < sorted.Length;)
        {
            var j = i;
            while (j < sorted.Length && sorted[j] == sorted[i])
            {
                j++;
            }

            if (j - i >= threshold)
            {
                found.Add((sorted[i], j - i));
            }

            i = j;
        }

        return found.OrderByDescending(p => p.Count).ThenBy(p => p.Value).Take(MaxPoints).Select(p => p.Value).ToArray();
    }

    /// <summary>The mixture of 1, 2, ... components with the lowest BIC; stops at the first that does not improve.</summary>
    internal static Mixture Select(double[] sorted, double floor)
    {
        var best = Em(sorted, 1, floor);
        for (var k = 2; k <= MaxComponents && k <= sorted.Length; k++)
        {
            var next = Em(sorted, k, floor);
            if (!(next.Bic < best.Bic))
            {
                break;
            }

            best = next;
        }

        return best.Prune();
    }

    /// <summary>EM for a K-component 1-D Gaussian mixture, started at the sample's quantiles.</summary>
    internal static Mixture Em(double[] sorted, int k, double floor)
    {
        var n = sorted.Length;
        var weights = new double[k];
        var means = new double[k];
        var stds = new double[k];
        var spread = Math.Max(Deviation(sorted), floor);
        for (var j = 0; j < k; j++)
        {
            weights[j] = 1.0 / k;
            means[j] = sorted[Math.Min(n - 1, (int)((j + 0.5) * n / k))];
            stds[j] = Math.Max(spread / k, floor);
        }

        var resp = new double[k];
        var logLikelihood = double.NegativeInfinity;
        var (sw, sx, sxx) = (new double[k], new double[k], new double[k]);
        var logPrior = new double[k];
        for (var iteration = 0; iteration < MaxIterations; iteration++)
        {
            Array.Clear(sw);
            Array.Clear(sx);
            Array.Clear(sxx);
            for (var j = 0; j < k; j++)
            {
                // Once per iteration, not per value: the same numbers, a third of the transcendental calls.
                logPrior[j] = Math.Log(Math.Max(weights[j], 1e-300)) - Math.Log(stds[j]);
            }

            double total = 0;
            foreach (var x in sorted)
            {
                var max = double.NegativeInfinity;
                var top = 0;
                for (var j = 0; j < k; j++)
                {
                    var d = (x - means[j]) / stds[j];
                    resp[j] = logPrior[j] - (0.5 * d * d);
                    if (resp[j] > max)
                    {
                        max = resp[j];
                        top = j;
                    }
                }

                double sum = 0;
                for (var j = 0; j < k; j++)
                {
                    // exp(0) is exactly 1: the largest term needs no call (a third of them when K is 2).
                    resp[j] = j == top ? 1.0 : Math.Exp(resp[j] - max);
                    sum += resp[j];
                }

                total += max + Math.Log(sum);
                for (var j = 0; j < k; j++)
                {
                    var r = resp[j] / sum;
                    sw[j] += r;
                    sx[j] += r * x;
                    sxx[j] += r * x * x;
                }
            }

            for (var j = 0; j < k; j++)
            {
                if (sw[j] < 1e-9)
                {
                    weights[j] = 0;
                    continue;
                }

                weights[j] = sw[j] / n;
                means[j] = sx[j] / sw[j];
                var variance = (sxx[j] / sw[j]) - (means[j] * means[j]);
                stds[j] = Math.Max(Math.Sqrt(Math.Max(variance, 0)), floor);
            }

            var improved = total - logLikelihood;
            logLikelihood = total;
            if (improved < 1e-7 * n)
            {
                break;
            }
        }

        // Up to the constant -n ln(sqrt(2 pi)), which every K shares.
        var parameters = (3 * k) - 1;
        return new Mixture(weights, means, stds, (-2 * logLikelihood) + (parameters * Math.Log(n)));
    }

    /// <summary>The mean over the values of the entropy of their component's posterior (nats).</summary>
    internal static double AssignmentEntropy(double[] values, Mixture mixture)
    {
        var k = mixture.Weights.Length;
        Span<double> log = stackalloc double[k];
        Span<double> logPrior = stackalloc double[k];
        for (var j = 0; j < k; j++)
        {
            logPrior[j] = Math.Log(mixture.Weights[j]) - Math.Log(mixture.Stds[j]);
        }

        double total = 0;
        foreach (var x in values)
        {
            var max = double.NegativeInfinity;
            for (var j = 0; j < k; j++)
            {
                var d = (x - mixture.Means[j]) / mixture.Stds[j];
                log[j] = logPrior[j] - (0.5 * d * d);
                max = Math.Max(max, log[j]);
            }

            double sum = 0;
            for (var j = 0; j < k; j++)
            {
                log[j] = Math.Exp(log[j] - max);
                sum += log[j];
            }

            for (var j = 0; j < k; j++)
            {
                var p = log[j] / sum;
                total -= p > 0 ? p * Math.Log(p) : 0;
            }
        }

        return total / values.Length;
    }

    private static double Deviation(double[] values)
    {
        var mean = values.Average();
        var sum = 0.0;
        foreach (var v in values)
        {
            sum += (v - mean) * (v - mean);
        }

        return Math.Sqrt(sum / values.Length);
    }

    internal sealed record Mixture(double[] Weights, double[] Means, double[] Stds, double Bic)
    {
        /// <summary>Drops components below <see cref="MinWeight"/> (never the heaviest) and renormalises; sorts the
        /// rest by mean.</summary>
        public Mixture Prune()
        {
            var heaviest = Array.IndexOf(Weights, Weights.Max());
            var kept = Enumerable.Range(0, Weights.Length).Where(j => j == heaviest || Weights[j] >= MinWeight).OrderBy(j => Means[j]).ToArray();
            var total = kept.Sum(j => Weights[j]);
            return new Mixture(kept.Select(j => Weights[j] / total).ToArray(), kept.Select(j => Means[j]).ToArray(), kept.Select(j => Stds[j]).ToArray(), Bic);
        }
    }
}
