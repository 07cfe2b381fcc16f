using Vae.MLNet.Columns;
using Vae.MLNet.Model;
using Vae.MLNet.Objective;

namespace Vae.MLNet.Onnx;

/// <summary>The score's terms in the graph, the formulas of <see cref="LossKernels"/> (the one definition of the
/// objective): per column its weighted reconstruction loss (missing values count 0) and per row the KL divergence
/// of the posterior from the prior. Reconstruction terms are float, as in the kernels; the KL sum is double.</summary>
internal static class LossGraph
{
    /// <summary>Each column's weighted reconstruction loss, [rows, 1] per column.</summary>
    /// <param name="graph">The graph.</param>
    /// <param name="encoding">The model's encoding.</param>
    /// <param name="layout">The loss layout (the column's loss scale).</param>
    /// <param name="weights">The weights (the learned numeric log-variance under Gaussian NLL).</param>
    /// <param name="inputs">The encoded inputs (targets and indicators).</param>
    /// <param name="decoded">The decoder's outputs at the posterior mean.</param>
    public static string[] ColumnLosses(OnnxGraph graph, ColumnEncoding encoding, LossKernels.Layout layout, VaeWeights weights, EncodedInputs inputs, string decoded)
    {
        var gaussian = weights.NumericLogVar.Length > 0;
        var losses = new string[encoding.Columns.Count];
        var numericStart = 0;
        for (var c = 0; c < losses.Length; c++)
        {
            var column = encoding.Columns[c];
            var hint = $"{column.Name}.Loss";
            var output = graph.Columns(decoded, Enumerable.Range(column.Offset, column.Width), hint + ".Output");
            var target = inputs.Features[c];
            var scale = graph.Float(layout.ColumnScales[c], hint + ".Scale");
            string terms;
            switch (column.Kind)
            {
                case VaeColumnKind.Numeric when column.Modes is not null:
                {
                    // The standardised value and the place (squared error or Gaussian NLL, masked by the column's
                    // one indicator), plus the cross-entropy of the component.
                    var numbers = graph.Columns(output, [0, 1], hint + ".NumericOutput");
                    var numberTargets = graph.Columns(target, [0, 1], hint + ".NumericTarget");
                    var numericTerms = NumericTerms(graph, weights, gaussian, numbers, numberTargets, numericStart, 2, hint);
                    numericStart += gaussian ? 2 : 0;
                    if (inputs.Indicators[c] is { } seen)
                    {
                        numericTerms = graph.Op("Mul", hint + ".Masked", numericTerms, graph.Op("Sub", hint + ".Observed", graph.Float(1f, hint + ".One"), seen));
                    }

                    var componentRange = Enumerable.Range(2, column.Width - 2).ToArray();
                    var cross = CrossEntropy(graph, graph.Columns(output, componentRange, hint + ".Logits"), graph.Columns(target, componentRange, hint + ".OneHot"), hint + ".Component");
                    losses[c] = graph.Op("Mul", hint, graph.Op("Add", hint + ".Both", graph.RowSum(numericTerms, hint + ".Sum"), cross), scale);
                    continue;
                }

                case VaeColumnKind.Numeric when gaussian:
                {
                    // 0.5 ((o - t)^2 exp(-lv) + lv + ln 2 pi), lv the learned log-variance clamped as in training.
                    var logVar = weights.NumericLogVar.AsSpan(numericStart, column.Width).ToArray()
                        .Select(v => (float)Math.Clamp(v, LossKernels.NumericLogVarMin, LossKernels.NumericLogVarMax)).ToArray();
                    var difference = graph.Op("Sub", hint + ".Difference", output, target);
                    var squared = graph.Op("Mul", hint + ".Squared", difference, difference);
                    var scaled = graph.Op("Mul", hint + ".Scaled", squared, graph.Floats(logVar.Select(v => MathF.Exp(-v)).ToArray(), hint + ".InverseVariance"));
                    var withLogVar = graph.Op("Add", hint + ".WithLogVariance", scaled, graph.Floats(logVar.Select(v => v + (float)LossKernels.Log2Pi).ToArray(), hint + ".LogNormaliser"));
                    terms = graph.Op("Mul", hint + ".Terms", withLogVar, graph.Float(0.5f, hint + ".Half"));
                    numericStart += column.Width;
                    break;
                }

                case VaeColumnKind.Numeric:
                {
                    var difference = graph.Op("Sub", hint + ".Difference", output, target);
                    terms = graph.Op("Mul", hint + ".Terms", difference, difference);
                    break;
                }

                case VaeColumnKind.Binary:
                {
                    // Cross-entropy with logits: max(o, 0) - o t + log(1 + exp(-|o|)).
                    var positive = graph.Op("Max", hint + ".Positive", output, graph.Float(0f, hint + ".Zero"));
                    var product = graph.Op("Mul", hint + ".Product", output, target);
                    var negativeAbs = graph.Op("Neg", hint + ".NegativeAbs", graph.Op("Abs", hint + ".Abs", output));
                    var softplus = graph.Op("Log", hint + ".Softplus", graph.Op("Add", hint + ".OnePlus", graph.Op("Exp", hint + ".Exp", negativeAbs), graph.Float(1f, hint + ".One")));
                    terms = graph.Op("Add", hint + ".Terms", graph.Op("Sub", hint + ".Linear", positive, product), softplus);
                    break;
                }

                case VaeColumnKind.Categorical:
                {
                    // -sum t (o - logsumexp o) = mass (max + log sum exp(o - max)) - sum t o; an all-zero (missing)
                    // target gives 0.
                    var max = graph.Reduce("ReduceMax", output, hint + ".Max");
                    var exponentials = graph.Op("Exp", hint + ".Exp", graph.Op("Sub", hint + ".Shifted", output, max));
                    var logSumExp = graph.Op("Add", hint + ".LogSumExp", max, graph.Op("Log", hint + ".Log", graph.RowSum(exponentials, hint + ".Total")));
                    var mass = graph.RowSum(target, hint + ".Mass");
                    var dot = graph.RowSum(graph.Op("Mul", hint + ".Product", target, output), hint + ".Dot");
                    var loss = graph.Op("Sub", hint + ".Unscaled", graph.Op("Mul", hint + ".Normaliser", mass, logSumExp), dot);
                    losses[c] = graph.Op("Mul", hint, loss, scale);
                    continue;
                }

                default:
                    throw new InvalidOperationException($"Column '{column.Name}' has an encoding the ONNX export does not know.");
            }

            // Missing features take no loss: terms times (1 - indicator).
            if (inputs.Indicators[c] is { } indicator)
            {
                var observed = graph.Op("Sub", hint + ".Observed", graph.Float(1f, hint + ".One"), indicator);
                terms = graph.Op("Mul", hint + ".Masked", terms, observed);
            }

            losses[c] = graph.Op("Mul", hint, graph.RowSum(terms, hint + ".Sum"), scale);
        }

        return losses;
    }

    /// <summary>Squared error, or under Gaussian NLL 0.5 ((o - t)^2 exp(-lv) + lv + ln 2 pi) with the learned
    /// log-variance of numeric features [start, start + count) clamped as in training.</summary>
    private static string NumericTerms(OnnxGraph graph, VaeWeights weights, bool gaussian, string output, string target, int start, int count, string hint)
    {
        var difference = graph.Op("Sub", hint + ".Difference", output, target);
        var squared = graph.Op("Mul", hint + ".Squared", difference, difference);
        if (!gaussian)
        {
            return squared;
        }

        var logVar = weights.NumericLogVar.AsSpan(start, count).ToArray()
            .Select(v => (float)Math.Clamp(v, LossKernels.NumericLogVarMin, LossKernels.NumericLogVarMax)).ToArray();
        var scaled = graph.Op("Mul", hint + ".Scaled", squared, graph.Floats(logVar.Select(v => MathF.Exp(-v)).ToArray(), hint + ".InverseVariance"));
        var withLogVar = graph.Op("Add", hint + ".WithLogVariance", scaled, graph.Floats(logVar.Select(v => v + (float)LossKernels.Log2Pi).ToArray(), hint + ".LogNormaliser"));
        return graph.Op("Mul", hint + ".Terms", withLogVar, graph.Float(0.5f, hint + ".Half"));
    }

    /// <summary>-sum t (o - logsumexp o) = mass (max + log sum exp(o - max)) - sum t o, as [rows, 1]; an all-zero
    /// (missing) target gives 0.</summary>
    private static string CrossEntropy(OnnxGraph graph, string output, string target, string hint)
    {
        var max = graph.Reduce("ReduceMax", output, hint + ".Max");
        var exponentials = graph.Op("Exp", hint + ".Exp", graph.Op("Sub", hint + ".Shifted", output, max));
        var logSumExp = graph.Op("Add", hint + ".LogSumExp", max, graph.Op("Log", hint + ".Log", graph.RowSum(exponentials, hint + ".Total")));
        var mass = graph.RowSum(target, hint + ".Mass");
        var dot = graph.RowSum(graph.Op("Mul", hint + ".Product", target, output), hint + ".Dot");
        return graph.Op("Sub", hint + ".Unscaled", graph.Op("Mul", hint + ".Normaliser", mass, logSumExp), dot);
    }

    /// <summary>Per row, sum over latent dimensions of max(0, KL(N(mu, exp(lv)) || N(0, 1))), in double, as [rows, 1]
    /// floats.</summary>
    public static string Kl(OnnxGraph graph, string mean, string logVariance)
    {
        var mu = graph.Cast(mean, typeof(double), "Kl.Mean");
        var lv = graph.Cast(logVariance, typeof(double), "Kl.LogVariance");
        var squared = graph.Op("Mul", "Kl.Squared", mu, mu);
        var variance = graph.Op("Exp", "Kl.Variance", lv);
        var sum = graph.Op("Sub", "Kl.Sum", graph.Op("Sub", "Kl.Partial", graph.Op("Add", "Kl.Moments", squared, variance), graph.Double(1, "Kl.One")), lv);
        var terms = graph.Op("Max", "Kl.Terms", graph.Op("Mul", "Kl.Halved", sum, graph.Double(0.5, "Kl.Half")), graph.Double(0, "Kl.Zero"));
        return graph.Cast(graph.RowSum(terms, "Kl.Total"), typeof(float), "Kl");
    }
}
