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
    private readonly int _columns;
    private readonly int _width;
    private readonly int _inputWidth;

    private readonly LossKernels.Layout _layout;
    private readonly float[] _scales;
    private readonly int[] _featureColumns;
    private readonly int[] _numericPositions;
    private readonly float[] _paddedLogits;
    private readonly float[] _paddedTargets;

    public ManagedObjective(ColumnEncoding encoding, VaeReconstructionReduction reduction)
    {
        _columns = encoding.Columns.Count;
        _width = encoding.Width;
        _inputWidth = encoding.InputWidth;
        _layout = new LossKernels.Layout(encoding, reduction);
        _scales = _layout.Scales;
        _featureColumns = _layout.FeatureColumns;
        _numericPositions = _layout.NumericPositions;
        _paddedLogits = new float[_layout.PaddedCategoricalWidth];
        _paddedTargets = new float[_layout.PaddedCategoricalWidth];
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
        if (_layout.Runs.Length > 0)
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
                    clampedLogVar[n] = (float)Math.Clamp(numericLv[n], LossKernels.NumericLogVarMin, LossKernels.NumericLogVarMax);
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
                foreach (var run in _layout.Runs)
                {
                    LossKernels.ElementRun(run.KindFor(numericLogVar is not null), run, outputRow, inputRow, gradientRow, factors, featureSums, inverseVariance, clampedLogVar, logVarGradient);
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
                    var inside = raw >= LossKernels.NumericLogVarMin && raw <= LossKernels.NumericLogVarMax;
                    gNumericLv[n] = inside ? (float)(logVarGradient[n] * _scales[_numericPositions[n]] * perRow) : 0f;
                }
            }
        }

        // Categorical: softmax cross-entropy over the column's span. A missing category is an all-zero target: no
        // loss and no gradient.
        var paddedLogits = _paddedLogits.AsSpan();
        var paddedTargets = _paddedTargets.AsSpan();
        foreach (var column in _layout.Categorical)
        {
            double sum = 0;
            var factor = (float)(column.Scale * perRow);
            for (var r = 0; r < rows; r++)
            {
                sum += LossKernels.SoftmaxCrossEntropy(
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
                kl[j] += LossKernels.KlTerm(mean, logVariance);
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
}
