using Vae.MLNet.Columns;

namespace Vae.MLNet.Model;

/// <summary>Latent codes drawn from the model's conditional p(z | conditions) ∝ p(z) p(conditions | z), by sampling
/// importance resampling with the encoder's posterior of the partial row as proposal (as MIWAE imputes, Mattei and
/// Frellsen 2019): <see cref="ProposalsPerRow"/> proposals per row, half from the encoder's q(z | conditions) and half
/// from the prior, each weighted by p(z) p(conditions | z) over the mixture's density, and the rows' codes drawn among
/// them by weight. Reject sampling from the
/// prior draws from the same distribution, but keeps only the rows whose drawn values happen to meet the conditions,
/// so a rare condition leaves it with few rows or none; here every proposal counts by its weight.</summary>
internal sealed class ConditionalSampler(VaeInference inference, ColumnEncoding encoding, VaeWeights weights)
{
    /// <summary>Proposals drawn per generated row.</summary>
    public const int ProposalsPerRow = 20;

    /// <summary>Draws <paramref name="count"/> latent codes given the conditions.</summary>
    public float[][] Sample(IReadOnlyList<ColumnCondition> conditions, int count, Random random)
    {
        var latent = inference.Latent;
        var row = new float[encoding.InputWidth];
        row.AsSpan(encoding.Width).Fill(1f);
        foreach (var condition in conditions)
        {
            condition.Encode(encoding, row);
        }

        var heads = new float[2 * latent];
        inference.Encode(row, 1, heads, inference.CreateWorkspace(1));

        var proposals = count * ProposalsPerRow;
        var z = new float[proposals * latent];
        var logWeights = new double[proposals];
        for (var m = 0; m < proposals; m++)
        {
            // Defensive mixture (Hesterberg 1995): half the proposals from the prior, so that a broad conditional (a
            // common condition) is covered as well as a narrow one.
            var fromPrior = random.NextDouble() < 0.5;
            double logPrior = 0, logPosterior = 0;
            for (var j = 0; j < latent; j++)
            {
                var sigma = Math.Exp(0.5 * heads[latent + j]);
                var value = fromPrior ? ColumnDecoder.Gaussian(random) : heads[j] + (sigma * ColumnDecoder.Gaussian(random));
                z[(m * latent) + j] = (float)value;
                var standardised = (value - heads[j]) / sigma;
                logPrior -= 0.5 * value * value;
                logPosterior -= (0.5 * standardised * standardised) + (0.5 * heads[latent + j]);
            }

            // log of 0.5 q(z) + 0.5 p(z), both without their common constant.
            var high = Math.Max(logPrior, logPosterior);
            var logProposal = high + Math.Log(0.5 * (Math.Exp(logPrior - high) + Math.Exp(logPosterior - high)));
            logWeights[m] = logPrior - logProposal;
        }

        var noise = conditions.Select(c => NoiseOf(c.Column)).ToArray();
        const int Chunk = 1024;
        var width = encoding.Width;
        var decoded = new float[Chunk * width];
        var workspace = inference.CreateWorkspace(Chunk);
        for (var start = 0; start < proposals; start += Chunk)
        {
            var rows = Math.Min(Chunk, proposals - start);
            inference.Decode(z.AsSpan(start * latent, rows * latent), latent, rows, decoded, workspace);
            for (var r = 0; r < rows; r++)
            {
                logWeights[start + r] += LogLikelihood(conditions, noise, decoded.AsSpan(r * width, width));
            }
        }

        // Resampling: each row's code drawn among the proposals with probability proportional to its weight.
        var max = logWeights.Where(double.IsFinite).DefaultIfEmpty(0).Max();
        var cumulative = new double[proposals];
        double total = 0;
        for (var m = 0; m < proposals; m++)
        {
            total += double.IsFinite(logWeights[m]) ? Math.Exp(logWeights[m] - max) : 0;
            cumulative[m] = total;
        }

        var points = new float[count][];
        for (var i = 0; i < count; i++)
        {
            var u = random.NextDouble() * total;
            var m = Array.BinarySearch(cumulative, u);
            m = Math.Min(proposals - 1, m < 0 ? ~m : m);
            points[i] = z.AsSpan(m * latent, latent).ToArray();
        }

        return points;
    }

    /// <summary>log p(conditions | z) from the decoder's outputs: a category's log-softmax among the categories seen at
    /// fit, a Boolean's log-sigmoid, a number's Gaussian log-density with the model's noise, a range's Gaussian
    /// probability mass.</summary>
    private double LogLikelihood(IReadOnlyList<ColumnCondition> conditions, double[] noise, ReadOnlySpan<float> outputs)
    {
        double sum = 0;
        for (var c = 0; c < conditions.Count; c++)
        {
            var condition = conditions[c];
            var column = encoding.Columns[condition.Column];
            var o = outputs.Slice(column.Offset, column.Width);
            switch (column.Kind)
            {
                case VaeColumnKind.Categorical:
                {
                    var count = ColumnDecoder.DecodableCategories(column);
                    double max = double.NegativeInfinity;
                    for (var k = 0; k < count; k++)
                    {
                        max = Math.Max(max, o[k]);
                    }

                    double total = 0;
                    for (var k = 0; k < count; k++)
                    {
                        total += Math.Exp(o[k] - max);
                    }

                    sum += o[condition.Category] - max - Math.Log(total);
                    break;
                }

                case VaeColumnKind.Binary:
                {
                    // log sigmoid(+-o), stably.
                    double logit = condition.Value == 1 ? o[0] : -o[0];
                    sum -= Math.Max(-logit, 0) + Math.Log(1 + Math.Exp(-Math.Abs(logit)));
                    break;
                }

                case VaeColumnKind.Numeric when column.Modes is { } modes:
                    sum += ModesLogLikelihood(modes, condition, noise[c], o[1..], integer: column.Source.Item is not (ItemKind.Single or ItemKind.Double));
                    break;

                default:
                {
                    var sigma = noise[c];
                    if (condition.Value is { } value)
                    {
                        var d = (((value - column.Means[0]) / column.Stds[0]) - o[0]) / sigma;
                        sum -= (0.5 * d * d) + Math.Log(sigma);
                    }
                    else
                    {
                        var low = (((condition.Minimum - column.Means[0]) / column.Stds[0]) - o[0]) / sigma;
                        var high = (((condition.Maximum - column.Means[0]) / column.Stds[0]) - o[0]) / sigma;
                        sum += Math.Log(Math.Max(NormalCdf(high) - NormalCdf(low), 1e-300));
                    }

                    break;
                }
            }
        }

        return sum;
    }

    /// <summary>log p(condition | z) of a mode-specific column: over its components, each one's probability times
    /// the probability that it gives the condition. A point mass gives its value (or lies in the range) or not; a
    /// Gaussian gives a value with the density of the decoded place, with the model's noise, at the value's place
    /// within it (for a whole-number column, the probability of the place's interval that rounds to the value), and a
    /// range with the probability mass of the places inside it.</summary>
    private static double ModesLogLikelihood(NumericModes modes, ColumnCondition condition, double sigma, ReadOnlySpan<float> o, bool integer)
    {
        Span<double> logP = stackalloc double[modes.Count];
        modes.LogProbabilities(o, logP);
        var (low, high) = condition.Value is { } value
            ? integer ? (value - 0.5, value + 0.5) : (value, value)
            : (condition.Minimum, condition.Maximum);
        double max = double.NegativeInfinity;
        Span<double> terms = stackalloc double[modes.Count];
        for (var k = 0; k < modes.Count; k++)
        {
            double term;
            if (modes.IsPoint(k))
            {
                var point = modes.Points[k];
                term = point >= low && point <= high ? logP[k] : double.NegativeInfinity;
            }
            else
            {
                var g = k - modes.Points.Length;
                if (low == high)
                {
                    // A density, on the scale of the column's own units.
                    var d = (((low - modes.Means[g]) / modes.Stds[g]) - o[0]) / sigma;
                    term = logP[k] - (0.5 * d * d) - Math.Log(sigma * modes.Stds[g]);
                }
                else
                {
                    var a = (((low - modes.Means[g]) / modes.Stds[g]) - o[0]) / sigma;
                    var b = (((high - modes.Means[g]) / modes.Stds[g]) - o[0]) / sigma;
                    term = logP[k] + Math.Log(Math.Max(NormalCdf(b) - NormalCdf(a), 1e-300));
                }
            }

            terms[k] = term;
            max = Math.Max(max, term);
        }

        if (double.IsNegativeInfinity(max))
        {
            return -690;
        }

        double total = 0;
        foreach (var t in terms)
        {
            total += Math.Exp(t - max);
        }

        return max + Math.Log(total);
    }

    /// <summary>The model's noise of a scalar numeric column in standardised units (1 where it has none; unused for
    /// other kinds).</summary>
    private double NoiseOf(int column)
    {
        // A mode-specific column's place is its second numeric feature.
        var index = encoding.Columns.Take(column).Sum(c => c.NumericFeatures) + (encoding.Columns[column].Modes is null ? 0 : 1);
        return weights.NumericNoise.Length > index && weights.NumericNoise[index] > 0 ? weights.NumericNoise[index] : 1;
    }

    /// <summary>The standard normal distribution function (Abramowitz and Stegun 7.1.26 for erf, error below 1.5e-7).</summary>
    private static double NormalCdf(double x)
    {
        var t = 1 / (1 + (0.3275911 * Math.Abs(x) / Math.Sqrt(2)));
        var erf = 1 - (((((((1.061405429 * t) - 1.453152027) * t) + 1.421413741) * t) - 0.284496736) * t + 0.254829592) * t * Math.Exp(-x * x / 2);
        return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
    }
}
