using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Vae.MLNet.Columns;
using Vae.MLNet.Objective;
using Vae.MLNet.Training;
using Vae.MLNet.Transform;
using static TorchSharp.torch;

namespace Vae.MLNet;

/// <summary>Fits a variational autoencoder on a table's numeric, categorical and binary columns and produces a
/// <see cref="VariationalAutoencoderTransformer"/> that appends latent features. Create it with
/// <c>mlContext.Transforms.VariationalAutoencoder(...)</c>.</summary>
public sealed class VariationalAutoencoderEstimator : IEstimator<VariationalAutoencoderTransformer>
{
    /// <summary>Largest <see cref="VariationalAutoencoderOptions.Beta"/> and
    /// <see cref="VariationalAutoencoderOptions.FreeBits"/>: far beyond any useful KL weight or floor, and small enough
    /// that the KL term and its gradient stay within the range of the floats training computes in.</summary>
    internal const double MaxKlFactor = 1e6;

    private readonly IHost _host;

    /// <summary>The options as they were when the estimator was built (a copy of the caller's, lists included).</summary>
    private readonly VariationalAutoencoderOptions _options;
    private readonly VaeColumn[] _columns;
    private readonly OutputColumnSpec[] _outputs;

    // Before any TorchSharp call of this library: TorchSharp's natives must be loadable (Native/LibTorchSharpLoader.cs).
    static VariationalAutoencoderEstimator() => Native.LibTorchSharpLoader.EnsureLoaded();

    internal VariationalAutoencoderEstimator(IHostEnvironment environment, VariationalAutoencoderOptions options)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(options);
        _host = environment.Register(nameof(VariationalAutoencoderEstimator));
        _options = options.Snapshot();
        _columns = [.. _options.Columns];
        ColumnResolver.CheckList(_columns, nameof(options.Columns));
        _outputs = OutputColumns(_options, _columns);
        Validate(_options, _outputs);
    }

    /// <summary>The defaults of every option, defined once.</summary>
    public static class Defaults
    {
        /// <summary>Name of the latent-mean output column.</summary>
        public const string OutputColumnName = "Latent";

        /// <summary>Latent size: small enough for feature extraction and plots, large enough for most tables.</summary>
        public const int LatentDimension = 8;

        /// <summary>Encoder hidden sizes (TVAE's).</summary>
        public static readonly IReadOnlyList<int> HiddenLayers = [128, 128];

        /// <summary>Hidden activation.</summary>
        public const VaeActivation Activation = VaeActivation.Relu;

        /// <summary>Dropout.</summary>
        public const double Dropout = 0;

        /// <summary>Epochs.</summary>
        public const int Epochs = 30;

        /// <summary>Batch size.</summary>
        public const int BatchSize = 256;

        /// <summary>Adam's learning rate.</summary>
        public const double LearningRate = 1e-3;

        /// <summary>Adam's weight decay (TVAE's).</summary>
        public const double WeightDecay = 1e-5;

        /// <summary>Gradient clipping norm.</summary>
        public const double GradientClipNorm = 5;

        /// <summary>Validation fraction.</summary>
        public const double ValidationFraction = 0;

        /// <summary>Early-stopping patience in epochs.</summary>
        public const int EarlyStoppingPatience = 10;

        /// <summary>KL weight.</summary>
        public const double Beta = 1;

        /// <summary>KL schedule.</summary>
        public const VaeKlSchedule KlSchedule = VaeKlSchedule.Constant;

        /// <summary>Warm-up length in epochs.</summary>
        public const double AnnealingEpochs = 10;

        /// <summary>Cycles of the cyclical schedule.</summary>
        public const int AnnealingCycles = 4;

        /// <summary>Ramp fraction of each cycle.</summary>
        public const double CycleRampFraction = 0.5;

        /// <summary>Free bits per latent dimension.</summary>
        public const double FreeBits = 0;

        /// <summary>Numeric reconstruction loss.</summary>
        public const VaeNumericLoss NumericLoss = VaeNumericLoss.MeanSquaredError;

        /// <summary>Numeric encoding: chosen per column from the data.</summary>
        public const VaeNumericEncoding NumericEncoding = VaeNumericEncoding.Auto;

        /// <summary>Reconstruction reduction.</summary>
        public const VaeReconstructionReduction Reduction = VaeReconstructionReduction.Sum;

        /// <summary>Probability that training hides an observed cell from the encoder.</summary>
        public const double MaskingRate = 0;

        /// <summary>Cap on learned categories of a text column.</summary>
        public const int MaxCategories = 100;

        /// <summary>How Fit reads the data: in memory or streamed, chosen by the encoded size.</summary>
        public const VaeDataLoading DataLoading = VaeDataLoading.Auto;

        /// <summary>Multiply-adds of one training batch's forward pass (batch size x the weights of the encoder and
        /// decoder) from which Fit uses every core by default; below it, one thread. Measured on 2 cores
        /// (<c>tests/Vae.MLNet.Benchmarks -- full threads</c>, docs/benchmarks.md): up to 4e8 multiply-adds a batch,
        /// every core was at most 1.4x faster than one thread on a quiet machine, and 1.4x to 15x slower than one
        /// thread with a busy process per core.</summary>
        public const long ThreadedMultiplyAdds = 1_000_000_000;

        /// <summary>Texts that mean "missing" when missing values are allowed: empty and "?".</summary>
        public static readonly IReadOnlyList<string> MissingTextValues = [string.Empty, "?"];
    }

    /// <summary>The output schema, checked before any training: every input column must exist, have a supported
    /// type and a fixed size, and suit its declared kind.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An input column is missing or unsuitable; the message names it.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        _host.CheckValue(inputSchema, nameof(inputSchema));
        ColumnResolver.Check(inputSchema, _columns, nameof(inputSchema));
        var result = inputSchema.ToDictionary(c => c.Name);
        foreach (var output in _outputs)
        {
            result[output.Name] = output.IsPerColumn ? Renamed(inputSchema, output)
                : output.IsVector ? new SchemaShape.Column(output.Name, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false, SlotNamesShape())
                : new SchemaShape.Column(output.Name, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, false);
        }

        return new SchemaShape(result.Values);
    }

    /// <summary>Trains the autoencoder. Progress goes to <c>MLContext.Log</c>; <c>MLContext.CancelExecution()</c>
    /// stops training within one batch.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An input column is missing or unsuitable.</exception>
    /// <exception cref="InvalidOperationException">The data holds a value the model cannot take (named with its
    /// column and row), or has no rows.</exception>
    /// <exception cref="VaeTrainingException">Training diverged (the term, epoch and batch are named).</exception>
    public VariationalAutoencoderTransformer Fit(IDataView input) => Fit(input, CancellationToken.None);

    /// <summary>Trains the autoencoder; <paramref name="cancellationToken"/> (like <c>MLContext.CancelExecution()</c>)
    /// stops training within one batch with <see cref="OperationCanceledException"/>.</summary>
    /// <param name="input">The training data.</param>
    /// <param name="cancellationToken">Stops training.</param>
    /// <exception cref="ArgumentOutOfRangeException">An input column is missing or unsuitable.</exception>
    /// <exception cref="InvalidOperationException">The data holds a value the model cannot take, or has no rows.</exception>
    /// <exception cref="VaeTrainingException">Training diverged (the term, epoch and batch are named).</exception>
    public VariationalAutoencoderTransformer Fit(IDataView input, CancellationToken cancellationToken)
    {
        _host.CheckValue(input, nameof(input));
        var requests = ColumnResolver.Resolve(input.Schema, _columns, nameof(input), _options.NumericEncoding);
        var environment = (IHostEnvironmentInternal)_host;
        var seed = _options.Seed ?? environment.Seed ?? _host.Rand.Next();
        var device = SelectDevice(environment);

        using var channel = _host.Start("Training variational autoencoder");
        void CheckAlive()
        {
            _host.CheckAlive();
            cancellationToken.ThrowIfCancellationRequested();
        }

        var encoding = ColumnEncodingFitter.Fit(
            input, requests, _options.MaxCategories, _options.AllowMissingValues ? [.. _options.MissingTextValues] : null, CheckAlive, out var fingerprint, seed);
        var encodedBytes = fingerprint.Rows * encoding.InputWidth * (double)sizeof(float);
        var available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        var streaming = Streams(_options.DataLoading, fingerprint.Rows, encoding.InputWidth, available);
        var threads = _options.NumberOfThreads ?? DefaultThreads(encoding, [.. _options.HiddenLayers], _options.LatentDimension, _options.BatchSize, Environment.ProcessorCount);
        channel.Info(
            "{0} {1} rows of {2} columns into {3} features ({4:F0} MiB encoded, {5:F0} MiB available); latent size {6}, {7} epochs, batch {8}, seed {9}, device {10}, {11} thread(s).",
            streaming ? "Streaming" : "Encoding", fingerprint.Rows, encoding.Columns.Count, encoding.Width, encodedBytes / (1 << 20), available / (double)(1 << 20),
            _options.LatentDimension, _options.Epochs, _options.BatchSize, seed, device, threads);
        using var source = streaming
            ? new StreamingBatches(new EncodedPasses(input, encoding, fingerprint, CheckAlive), _options.BatchSize)
            : (BatchSource)new InMemoryBatches(ColumnEncodingFitter.Encode(input, encoding, CheckAlive, fingerprint));

        var settings = new TrainingSettings(
            LatentDimension: _options.LatentDimension,
            HiddenLayers: [.. _options.HiddenLayers],
            Activation: _options.Activation,
            Dropout: _options.Dropout,
            Epochs: _options.Epochs,
            BatchSize: _options.BatchSize,
            LearningRate: _options.LearningRate,
            WeightDecay: _options.WeightDecay,
            GradientClipNorm: _options.GradientClipNorm,
            ValidationFraction: _options.ValidationFraction,
            EarlyStoppingPatience: _options.EarlyStoppingPatience,
            KlWeight: new KlWeight(
                Beta: _options.Beta,
                NormalizeBeta: _options.NormalizeBeta,
                Schedule: _options.KlSchedule,
                AnnealingEpochs: _options.AnnealingEpochs,
                Cycles: _options.AnnealingCycles,
                CycleRampFraction: _options.CycleRampFraction,
                TotalEpochs: _options.Epochs),
            FreeBits: _options.FreeBits,
            NumericLoss: _options.NumericLoss,
            Reduction: _options.Reduction,
            Seed: seed,
            MaskingRate: _options.MaskingRate);

        TrainingResult result;
        using (TorchThreads.Use(threads))
        {
            result = VaeTrainer.Train(source, encoding, settings, device, epoch =>
            {
                channel.Info("{0}", epoch);
                _options.Progress?.Report(epoch);
            }, CheckAlive, cancellationToken);
        }

        return new VariationalAutoencoderTransformer(
            _host, encoding, result.Weights, _options.Reduction, _outputs, result.History);
    }

    /// <summary>Whether Fit streams the data: when asked to, or, for <see cref="VaeDataLoading.Auto"/>, when the encoded
    /// table would take more than a quarter of the memory available (or more than one array holds). The row count is
    /// always known here: the statistics pass counted it.</summary>
    internal static bool Streams(VaeDataLoading loading, long rows, int inputWidth, long availableBytes) => loading switch
    {
        VaeDataLoading.InMemory => false,
        VaeDataLoading.Streaming => true,
        _ => rows * (double)inputWidth > Array.MaxLength || rows * (double)inputWidth * sizeof(float) > availableBytes / 4.0,
    };

    /// <summary>The default thread count: one below <see cref="Defaults.ThreadedMultiplyAdds"/> multiply-adds per
    /// training batch, every core above.</summary>
    internal static int DefaultThreads(ColumnEncoding encoding, IReadOnlyList<int> hidden, int latent, int batchSize, int cores)
    {
        // The encoder's layers, its two heads, and the mirrored decoder back to the encoded width.
        var widths = new List<int> { encoding.InputWidth };
        widths.AddRange(hidden);
        long weights = 0;
        for (var i = 1; i < widths.Count; i++)
        {
            weights += (long)widths[i - 1] * widths[i];
        }

        weights += 2L * widths[^1] * latent;
        var decoder = new List<int> { latent };
        decoder.AddRange(hidden.Reverse());
        decoder.Add(encoding.Width);
        for (var i = 1; i < decoder.Count; i++)
        {
            weights += (long)decoder[i - 1] * decoder[i];
        }

        return weights * batchSize >= Defaults.ThreadedMultiplyAdds ? Math.Max(1, cores) : 1;
    }

    /// <summary>A per-column output: the input column's shape under a new name.</summary>
    private SchemaShape.Column Renamed(SchemaShape inputSchema, OutputColumnSpec output)
    {
        inputSchema.TryFindColumn(_columns[output.InputColumn].Name, out var input);
        return new SchemaShape.Column(output.Name, input.Kind, input.ItemType, input.IsKey, input.Annotations);
    }

    /// <summary>The option that names an output column of this kind.</summary>
    private static string OptionOf(OutputKind kind) => kind switch
    {
        OutputKind.Latent => nameof(VariationalAutoencoderOptions.OutputColumnName),
        OutputKind.LogVariance => nameof(VariationalAutoencoderOptions.LogVarianceColumnName),
        OutputKind.Score => nameof(VariationalAutoencoderOptions.ScoreColumnName),
        OutputKind.ReconstructionError => nameof(VariationalAutoencoderOptions.ReconstructionErrorColumnName),
        OutputKind.ColumnErrors => nameof(VariationalAutoencoderOptions.ColumnErrorsColumnName),
        OutputKind.Reconstructed => nameof(VariationalAutoencoderOptions.ReconstructedColumnSuffix),
        _ => nameof(VariationalAutoencoderOptions.ImputedColumnSuffix),
    };

    /// <summary>The output columns the options ask for.</summary>
    private static OutputColumnSpec[] OutputColumns(VariationalAutoencoderOptions options, IReadOnlyList<VaeColumn> columns) =>
        OutputColumnSpec.List(
            options.OutputColumnName, options.LogVarianceColumnName, options.ScoreColumnName, options.ReconstructionErrorColumnName,
            options.ColumnErrorsColumnName, options.ReconstructedColumnSuffix, options.ImputedColumnSuffix, columns.Select(c => c.Name).ToArray());

    private static SchemaShape SlotNamesShape() => new([
        new SchemaShape.Column(AnnotationUtils.Kinds.SlotNames, SchemaShape.Column.VectorKind.Vector, TextDataViewType.Instance, false),
    ]);

    private Device SelectDevice(IHostEnvironmentInternal environment)
    {
        if (environment.GpuDeviceId is not { } gpu)
        {
            return CPU;
        }

        if (cuda.is_available() && gpu >= 0 && gpu < cuda.device_count())
        {
            return new Device(TorchSharp.DeviceType.CUDA, gpu);
        }

        if (environment.FallbackToCpu)
        {
            using var channel = _host.Start("Device");
            channel.Warning("GPU {0} was requested but CUDA is not available to TorchSharp (reference a TorchSharp CUDA package); training on the CPU.", gpu);
            return CPU;
        }

        throw new InvalidOperationException(
            $"GPU {gpu} was requested (MLContext.GpuDeviceId) but CUDA is not available to TorchSharp and MLContext.FallbackToCpu is false. Reference a TorchSharp CUDA package or allow the fallback.");
    }

    private static void Validate(VariationalAutoencoderOptions options, OutputColumnSpec[] outputs)
    {
        var hidden = options.HiddenLayers;
        Positive(options.LatentDimension, nameof(options.LatentDimension));
        Positive(options.Epochs, nameof(options.Epochs));
        Positive(options.BatchSize, nameof(options.BatchSize));
        Positive(options.MaxCategories, nameof(options.MaxCategories));
        Positive(options.EarlyStoppingPatience, nameof(options.EarlyStoppingPatience));
        Positive(options.AnnealingCycles, nameof(options.AnnealingCycles));
        if (options.NumberOfThreads is { } threads)
        {
            Positive(threads, nameof(options.NumberOfThreads));
        }

        if (hidden.Any(h => h <= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(options.HiddenLayers), $"Hidden layer sizes must be positive; got [{string.Join(", ", hidden)}].");
        }

        // Training computes in single precision: an option it multiplies by must be a float.
        Range(options.LearningRate, nameof(options.LearningRate), 0, float.MaxValue, lowOpen: true);
        Range(options.WeightDecay, nameof(options.WeightDecay), 0, float.MaxValue);
        Range(options.GradientClipNorm, nameof(options.GradientClipNorm), 0, float.MaxValue);
        Range(options.Dropout, nameof(options.Dropout), 0, 1, highOpen: true);
        Range(options.ValidationFraction, nameof(options.ValidationFraction), 0, 1, highOpen: true);
        Range(options.Beta, nameof(options.Beta), 0, MaxKlFactor);
        Range(options.AnnealingEpochs, nameof(options.AnnealingEpochs), 0, float.MaxValue);
        Range(options.CycleRampFraction, nameof(options.CycleRampFraction), 0, 1, lowOpen: true);
        Range(options.FreeBits, nameof(options.FreeBits), 0, MaxKlFactor);
        Range(options.MaskingRate, nameof(options.MaskingRate), 0, 1, highOpen: true);
        if (options.MaskingRate > 0 && !options.AllowMissingValues)
        {
            throw new ArgumentOutOfRangeException(nameof(options.MaskingRate), options.MaskingRate,
                "MaskingRate needs AllowMissingValues: the missing-value indicators tell the encoder which cells training hides.");
        }
        Defined(options.Activation, nameof(options.Activation));
        Defined(options.KlSchedule, nameof(options.KlSchedule));
        Defined(options.NumericLoss, nameof(options.NumericLoss));
        Defined(options.NumericEncoding, nameof(options.NumericEncoding));
        Defined(options.Reduction, nameof(options.Reduction));
        Defined(options.DataLoading, nameof(options.DataLoading));

        if (options.MissingTextValues.Any(t => t is null))
        {
            throw new ArgumentOutOfRangeException(nameof(options.MissingTextValues), "Missing text values must not be null.");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var output in outputs)
        {
            if (string.IsNullOrWhiteSpace(output.Name))
            {
                throw new ArgumentOutOfRangeException(OptionOf(output.Kind), "Output column names must not be empty.");
            }

            if (!names.Add(output.Name))
            {
                throw new ArgumentOutOfRangeException(OptionOf(output.Kind), $"Output column name '{output.Name}' is used twice.");
            }
        }
    }

    private static void Positive(int value, string name)
    {
        if (value <= 0)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive.");
        }
    }

    private static void Range(double value, string name, double low, double high, bool lowOpen = false, bool highOpen = false)
    {
        var ok = !double.IsNaN(value) && !double.IsInfinity(value)
            && (lowOpen ? value > low : value >= low) && (highOpen ? value < high : value <= high);
        if (!ok)
        {
            var interval = $"{(lowOpen ? "(" : "[")}{low}, {high.ToString("G9", System.Globalization.CultureInfo.InvariantCulture)}{(highOpen ? ")" : "]")}";
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be a finite number in {interval}.");
        }
    }

    private static void Defined<T>(T value, string name)
        where T : struct, Enum
    {
        if (!Enum.IsDefined(value))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} has an unknown value.");
        }
    }
}
