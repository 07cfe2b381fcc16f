using System.Diagnostics;
using TorchSharp;
using Vae.MLNet.Columns;
using Vae.MLNet.Model;
using Vae.MLNet.Objective;
using static TorchSharp.torch;

namespace Vae.MLNet.Training;

/// <summary>Trains a <see cref="VaeNetwork"/> with Adam on batches from a <see cref="BatchSource"/>. Separate from the model and the
/// objective; knows nothing of ML.NET.</summary>
internal static class VaeTrainer
{
    /// <summary>Rows evaluated at a time for validation.</summary>
    internal const int EvaluationBatch = 4096;

    /// <summary>Training rows used to estimate the numeric noise of the generative model.</summary>
    private const int NoiseRows = 10_000;

    /// <summary>Rows decoded at a time for the numeric noise.</summary>
    private const int NoiseChunk = 1024;

    /// <summary>Trains on an encoded matrix held in memory.</summary>
    public static TrainingResult Train(
        EncodedMatrix data,
        ColumnEncoding encoding,
        TrainingSettings settings,
        Device device,
        Action<VaeEpochResult>? onEpoch = null,
        Action? checkAlive = null,
        CancellationToken cancellation = default)
    {
        using var source = new InMemoryBatches(data);
        return Train(source, encoding, settings, device, onEpoch, checkAlive, cancellation);
    }

    /// <summary>Trains on the rows of <paramref name="source"/>.</summary>
    public static TrainingResult Train(
        BatchSource source,
        ColumnEncoding encoding,
        TrainingSettings settings,
        Device device,
        Action<VaeEpochResult>? onEpoch = null,
        Action? checkAlive = null,
        CancellationToken cancellation = default)
    {
        using var outer = NewDisposeScope();
        var width = encoding.Width;
        var latent = settings.LatentDimension;
        using var objective = BatchObjective.For(encoding, settings.Reduction, device);
        var numericCount = settings.NumericLoss == VaeNumericLoss.GaussianNll ? encoding.NumericFeatureCount : 0;

        // Initialisation, shuffling, sampling and dropout draw from generators of this fit's own, never from
        // TorchSharp's process-wide one: fits running at the same time do not change each other's results.
        using var network = new VaeNetwork(encoding.InputWidth, width, settings.HiddenLayers, latent, settings.Activation, settings.Dropout, numericCount);
        using (var initialization = new Generator((ulong)settings.Seed))
        {
            network.Initialize(initialization);
        }

        network.to(device);
        using var generator = new Generator((ulong)settings.Seed, device);
        using var dropoutGenerator = new Generator((ulong)settings.Seed + 2, device);
        network.UseDropoutGenerator(dropoutGenerator);

        source.Open(settings, device);
        var trainRows = source.TrainRows;
        var batchSize = Math.Min(settings.BatchSize, trainRows);
        var batches = (trainRows + batchSize - 1) / batchSize;
        var columnNames = encoding.Columns.Select(c => c.Name).ToArray();

        using var masking = settings.MaskingRate > 0 ? new CellMasking(encoding, settings.MaskingRate, settings.Seed, device) : null;
        using var optimizer = new AdamOptimizer(network.parameters(), settings.LearningRate, settings.WeightDecay);
        var history = new List<VaeEpochResult>();
        var clock = Stopwatch.StartNew();
        var finalBeta = settings.KlWeight.Target(width, latent);
        double bestValidation = double.PositiveInfinity;
        Dictionary<string, Tensor>? best = null;
        var sinceBest = 0;

        for (var epoch = 1; epoch <= settings.Epochs; epoch++)
        {
            network.train();
            using var reader = source.Epoch(epoch, generator);
            // Sums over the epoch: reconstruction per column, KL per dimension and total, times rows; then the
            // posterior means and their squares per dimension (for the active units).
            var sums = new EpochSums(columnNames.Length, latent);
            double beta = 0;
            for (var b = 0; b < batches; b++)
            {
                cancellation.ThrowIfCancellationRequested();
                checkAlive?.Invoke();
                using var scope = NewDisposeScope();
                var start = b * batchSize;
                var rows = Math.Min(batchSize, trainRows - start);
                var x = reader.Next(rows);
                if (masking is not null)
                {
                    x = masking.Apply(x);
                }

                var (mu, logVar) = network.Encode(x);
                var z = VaeObjective.Reparameterize(mu, logVar, generator);
                var output = network.Decode(z);
                beta = settings.KlWeight.At(epoch - 1 + ((b + 1.0) / batches), width, latent);
                var loss = objective.Compute(output, x, mu, logVar, network.NumericLogVar, beta, settings.FreeBits, withGradient: true);

                var total = (float)loss.Total;
                if (!float.IsFinite(total))
                {
                    throw Diverged(loss, columnNames, epoch, b + 1);
                }

                optimizer.zero_grad();
                loss.Backward();
                var norm = settings.GradientClipNorm > 0
                    ? nn.utils.clip_grad_norm_(network.parameters(), settings.GradientClipNorm)
                    : 0;
                if (!double.IsFinite(norm))
                {
                    throw new VaeTrainingException("gradient", epoch, b + 1,
                        $"Training diverged at epoch {epoch}, batch {b + 1}: the gradient is not finite (loss {total}). Lower the learning rate or set a gradient clip.");
                }

                optimizer.step();
                sums.Add(loss, BatchObjective.HostFloats(mu), rows);
            }

            reader.Complete();

            var means = sums.Means(trainRows);
            var (validationLoss, validationRecon, validationKl) = source.ValidationRows == 0
                ? ((double?)null, (double?)null, (double?)null)
                : Evaluate(network, source, objective, finalBeta, settings, device);
            var result = new VaeEpochResult(
                epoch,
                means[columnNames.Length + latent],
                columnNames.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => means[p.i]),
                means.Skip(columnNames.Length).Take(latent).ToArray(),
                beta,
                ActiveUnits(means.AsSpan(columnNames.Length + latent + 1, latent), means.AsSpan(columnNames.Length + (2 * latent) + 1, latent), trainRows),
                validationLoss,
                validationRecon,
                validationKl,
                clock.Elapsed);
            history.Add(result);
            onEpoch?.Invoke(result);

            if (validationLoss is { } validated)
            {
                if (validated < bestValidation)
                {
                    bestValidation = validated;
                    sinceBest = 0;
                    DisposeAll(best);
                    best = Snapshot(network);
                }
                else if (++sinceBest >= settings.EarlyStoppingPatience)
                {
                    break;
                }
            }
        }

        if (best is not null)
        {
            network.load_state_dict(best);
            DisposeAll(best);
        }

        var weights = network.ExportWeights(NumericLogVar(network), NumericNoise(network, source, encoding, settings, device));
        CheckFinite(weights, history.Count);
        return new TrainingResult(weights, history);
    }

    /// <summary>Validation objective at the final KL weight, with a fixed noise seed so epochs are comparable.</summary>
    private static (double?, double?, double?) Evaluate(VaeNetwork network, BatchSource source, BatchObjective objective, double beta, TrainingSettings settings, Device device)
    {
        network.eval();
        using var _ = no_grad();
        var generator = new Generator((ulong)settings.Seed + 1, device);
        using var validation = source.Validation();
        var rows = source.ValidationRows;
        double total = 0, reconstruction = 0, kl = 0;
        for (var start = 0; start < rows; start += EvaluationBatch)
        {
            using var scope = NewDisposeScope();
            var count = Math.Min(EvaluationBatch, rows - start);
            var x = validation.Next(count);
            var (mu, logVar) = network.Encode(x);
            var output = network.Decode(VaeObjective.Reparameterize(mu, logVar, generator));
            var loss = objective.Compute(output, x, mu, logVar, network.NumericLogVar, beta, settings.FreeBits, withGradient: false);
            total += loss.Total * count;
            reconstruction += loss.Reconstruction.Sum() * count;
            kl += loss.Kl.Sum() * count;
        }

        validation.Complete();
        generator.Dispose();
        return (total / rows, reconstruction / rows, kl / rows);
    }

    /// <summary>Burda et al.'s active units: dimensions with Cov_x(E[z|x]) &gt; 0.01, from the sums of the posterior
    /// means and of their squares over the epoch's training batches (the means the training pass computes anyway, so
    /// the figure costs no extra forward pass).</summary>
    private static int ActiveUnits(ReadOnlySpan<double> meanOfMu, ReadOnlySpan<double> meanOfSquares, int rows)
    {
        if (rows < 2)
        {
            return 0;
        }

        var active = 0;
        for (var j = 0; j < meanOfMu.Length; j++)
        {
            if (meanOfSquares[j] - (meanOfMu[j] * meanOfMu[j]) > 0.01)
            {
                active++;
            }
        }

        return active;
    }

    private static VaeTrainingException Diverged(BatchLoss loss, string[] columns, int epoch, int batch)
    {
        var reconstruction = loss.Reconstruction;
        var kl = loss.Kl;
        var term = Enumerable.Range(0, columns.Length).Where(i => !double.IsFinite(reconstruction[i]))
            .Select(i => $"reconstruction of column '{columns[i]}'")
            .Concat(Enumerable.Range(0, kl.Length).Where(j => !double.IsFinite(kl[j])).Select(j => $"KL of latent dimension {j}"))
            .FirstOrDefault() ?? "total loss";
        return new VaeTrainingException(term, epoch, batch,
            $"Training diverged at epoch {epoch}, batch {batch}: the {term} is not a finite number. Lower the learning rate, set a gradient clip, or check that column's values.");
    }

    private static void CheckFinite(VaeWeights weights, int epoch)
    {
        var layers = weights.Encoder.Concat(weights.Decoder).Append(weights.Heads);
        if (layers.Any(l => !l.Weight.All(float.IsFinite) || !l.Bias.All(float.IsFinite)) || !weights.NumericLogVar.All(float.IsFinite))
        {
            throw new VaeTrainingException("weights", epoch, 0, $"Training diverged by epoch {epoch}: the weights are not finite numbers.");
        }
    }

    /// <summary>The standard deviation of each numeric feature's decoder Gaussian, for sampling: the learned one under
    /// Gaussian NLL; under squared error its maximum-likelihood estimate, the root mean square residual of the
    /// training rows decoded from z ~ q(z|x) (missing values left out).</summary>
    private static float[] NumericNoise(VaeNetwork network, BatchSource source, ColumnEncoding encoding, TrainingSettings settings, Device device)
    {
        using var layout = new LossLayout(encoding, settings.Reduction, device);
        if (layout.Numeric is not { } numeric)
        {
            return [];
        }

        network.eval();
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        if (network.NumericLogVar is { } learned)
        {
            return learned.clamp(TorchScalars.NumericLogVarMin, TorchScalars.NumericLogVarMax).mul(TorchScalars.Half).exp().cpu().data<float>().ToArray();
        }

        using var generator = new Generator((ulong)settings.Seed + 2, device);
        using var train = source.Training();
        var rows = Math.Min(NoiseRows, source.TrainRows);
        var squares = zeros(numeric.Count, dtype: ScalarType.Float64, device: device);
        var counted = zeros(numeric.Count, dtype: ScalarType.Float64, device: device);
        for (var start = 0; start < rows; start += NoiseChunk)
        {
            // In chunks, so the decoded rows of a wide table never sit in memory all at once.
            using var chunk = NewDisposeScope();
            var sample = train.Next(Math.Min(NoiseChunk, rows - start));
            var (target, mask) = layout.TargetAndMask(sample);
            var (mu, logVar) = network.Encode(sample);
            var output = network.Decode(VaeObjective.Reparameterize(mu, logVar, generator));
            var terms = numeric.Select(output).sub(numeric.Select(target)).square();
            if (layout.Continuous(target) is { } continuous)
            {
                mask = mask is null ? continuous : numeric.Select(mask).mul(continuous);
                terms = terms.mul(mask);
                squares.add_(terms.sum([0]).to(ScalarType.Float64), TorchScalars.One);
                counted.add_(mask.sum([0]).to(ScalarType.Float64), TorchScalars.One);
            }
            else if (mask is null)
            {
                using var count = terms.shape[0].ToScalar();
                squares.add_(terms.sum([0]).to(ScalarType.Float64), TorchScalars.One);
                counted.add_(count, TorchScalars.One);
            }
            else
            {
                var observed = numeric.Select(mask);
                squares.add_(terms.mul(observed).sum([0]).to(ScalarType.Float64), TorchScalars.One);
                counted.add_(observed.sum([0]).to(ScalarType.Float64), TorchScalars.One);
            }
        }

        return squares.div(counted.clamp_min(TorchScalars.One)).sqrt().to(ScalarType.Float32).cpu().data<float>().ToArray();
    }

    /// <summary>An epoch's running sums, in doubles: [reconstruction per column, KL per dimension, total] times rows,
    /// then the posterior means and their squares per dimension.</summary>
    private sealed class EpochSums(int columns, int latent)
    {
        private readonly double[] _sums = new double[columns + (3 * latent) + 1];

        public void Add(BatchLoss loss, ReadOnlySpan<float> mu, int rows)
        {
            for (var c = 0; c < columns; c++)
            {
                _sums[c] += loss.Reconstruction[c] * rows;
            }

            for (var j = 0; j < latent; j++)
            {
                _sums[columns + j] += loss.Kl[j] * rows;
            }

            _sums[columns + latent] += loss.Total * rows;
            var means = _sums.AsSpan(columns + latent + 1, latent);
            var squares = _sums.AsSpan(columns + (2 * latent) + 1, latent);
            for (var r = 0; r < rows; r++)
            {
                for (var j = 0; j < latent; j++)
                {
                    double value = mu[(r * latent) + j];
                    means[j] += value;
                    squares[j] += value * value;
                }
            }
        }

        public double[] Means(int rows) => _sums.Select(v => v / rows).ToArray();
    }

    private static float[]? NumericLogVar(VaeNetwork network)
    {
        if (network.NumericLogVar is not { } lv)
        {
            return null;
        }

        using var scope = NewDisposeScope();
        return lv.detach().cpu().data<float>().ToArray();
    }

    private static Dictionary<string, Tensor> Snapshot(VaeNetwork network)
    {
        using var _ = no_grad();
        return network.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().clone().MoveToOuterDisposeScope());
    }

    private static void DisposeAll(Dictionary<string, Tensor>? state)
    {
        if (state is null)
        {
            return;
        }

        foreach (var t in state.Values)
        {
            t.Dispose();
        }
    }
}
