using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Vae.MLNet.Columns;
using Vae.MLNet.Objective;
using Vae.MLNet.Training;
using static TorchSharp.torch;

namespace Vae.MLNet;

/// <summary>Fits a variational autoencoder on a table's numeric, categorical and binary columns and produces a
/// <see cref="VariationalAutoencoderTransformer"/> that appends latent features. Create it with
/// <c>mlContext.Transforms.VariationalAutoencoder(...)</c>.</summary>
public sealed class VariationalAutoencoderEstimator : IEstimator<VariationalAutoencoderTransformer>
{
    private readonly IHost _host;
    private readonly VariationalAutoencoderOptions _options;
    private readonly VaeColumn[] _columns;
    private readonly int[] _hidden;
    private readonly string[] _missingText;

    // Before any TorchSharp call of this library: TorchSharp's natives must be loadable (Native/LibTorchSharpLoader.cs).
    static VariationalAutoencoderEstimator() => Native.LibTorchSharpLoader.EnsureLoaded();

    internal VariationalAutoencoderEstimator(IHostEnvironment environment, VariationalAutoencoderOptions options)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(options);
        _host = environment.Register(nameof(VariationalAutoencoderEstimator));
        _columns = options.Columns?.ToArray() ?? [];
        _hidden = options.HiddenLayers?.ToArray() ?? [];
        _missingText = options.MissingTextValues?.ToArray() ?? [];
        Validate(options, _columns, _hidden, _missingText);
        _options = options;
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

        /// <summary>Reconstruction reduction.</summary>
        public const VaeReconstructionReduction Reduction = VaeReconstructionReduction.Sum;

        /// <summary>Cap on learned categories of a text column.</summary>
        public const int MaxCategories = 100;

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
        foreach (var (name, option) in OutputColumns(_options, _columns))
        {
            result[name] = option switch
            {
                nameof(_options.OutputColumnName) or nameof(_options.LogVarianceColumnName) or nameof(_options.ColumnErrorsColumnName) =>
                    new SchemaShape.Column(name, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false, SlotNamesShape()),
                nameof(_options.ScoreColumnName) or nameof(_options.ReconstructionErrorColumnName) =>
                    new SchemaShape.Column(name, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, false),
                _ => Renamed(inputSchema, name, option),
            };
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
        var requests = ColumnResolver.Resolve(input.Schema, _columns, nameof(input));
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
            input, requests, _options.MaxCategories, _options.AllowMissingValues ? _missingText : null, CheckAlive, out var rows);
        var matrix = ColumnEncodingFitter.Encode(input, encoding, CheckAlive, rows);
        channel.Info(
            "Encoded {0} rows of {1} columns into {2} features; latent size {3}, {4} epochs, batch {5}, seed {6}, device {7}.",
            matrix.Rows, encoding.Columns.Count, encoding.Width, _options.LatentDimension, _options.Epochs, _options.BatchSize, seed, device);

        var settings = new TrainingSettings(
            _options.LatentDimension, _hidden, _options.Activation, _options.Dropout, _options.Epochs, _options.BatchSize,
            _options.LearningRate, _options.WeightDecay, _options.GradientClipNorm, _options.ValidationFraction,
            _options.EarlyStoppingPatience,
            new KlWeight(_options.Beta, _options.NormalizeBeta, _options.KlSchedule, _options.AnnealingEpochs,
                _options.AnnealingCycles, _options.CycleRampFraction, _options.Epochs),
            _options.FreeBits, _options.NumericLoss, _options.Reduction, seed);

        var result = VaeTrainer.Train(matrix, encoding, settings, device, epoch =>
        {
            channel.Info("{0}", epoch);
            _options.Progress?.Report(epoch);
        }, CheckAlive, cancellationToken);

        return new VariationalAutoencoderTransformer(
            _host, encoding, result.Weights, _options.Reduction, OutputNames.From(_options), result.History);
    }

    /// <summary>A per-column output: the input column's shape under a new name.</summary>
    private SchemaShape.Column Renamed(SchemaShape inputSchema, string name, string option)
    {
        var suffix = option == nameof(_options.ReconstructedColumnSuffix) ? _options.ReconstructedColumnSuffix! : _options.ImputedColumnSuffix!;
        inputSchema.TryFindColumn(name[..^suffix.Length], out var input);
        return new SchemaShape.Column(name, input.Kind, input.ItemType, input.IsKey, input.Annotations);
    }

    /// <summary>Every output column with the option that names it.</summary>
    internal static IEnumerable<(string Name, string Option)> OutputColumns(VariationalAutoencoderOptions options, IReadOnlyList<VaeColumn> columns)
    {
        yield return (options.OutputColumnName, nameof(options.OutputColumnName));
        if (options.LogVarianceColumnName is { } logVar)
        {
            yield return (logVar, nameof(options.LogVarianceColumnName));
        }

        if (options.ScoreColumnName is { } score)
        {
            yield return (score, nameof(options.ScoreColumnName));
        }

        if (options.ReconstructionErrorColumnName is { } error)
        {
            yield return (error, nameof(options.ReconstructionErrorColumnName));
        }

        if (options.ColumnErrorsColumnName is { } columnErrors)
        {
            yield return (columnErrors, nameof(options.ColumnErrorsColumnName));
        }

        foreach (var (suffix, option) in new[]
        {
            (options.ReconstructedColumnSuffix, nameof(options.ReconstructedColumnSuffix)),
            (options.ImputedColumnSuffix, nameof(options.ImputedColumnSuffix)),
        })
        {
            if (suffix is null)
            {
                continue;
            }

            foreach (var column in columns)
            {
                yield return (column.Name + suffix, option);
            }
        }
    }

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

    private static void Validate(VariationalAutoencoderOptions options, VaeColumn[] columns, int[] hidden, string[] missingText)
    {
        ColumnResolver.CheckList(columns, nameof(options.Columns));
        Positive(options.LatentDimension, nameof(options.LatentDimension));
        Positive(options.Epochs, nameof(options.Epochs));
        Positive(options.BatchSize, nameof(options.BatchSize));
        Positive(options.MaxCategories, nameof(options.MaxCategories));
        Positive(options.EarlyStoppingPatience, nameof(options.EarlyStoppingPatience));
        Positive(options.AnnealingCycles, nameof(options.AnnealingCycles));
        if (hidden.Any(h => h <= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(options.HiddenLayers), $"Hidden layer sizes must be positive; got [{string.Join(", ", hidden)}].");
        }

        Range(options.LearningRate, nameof(options.LearningRate), 0, double.MaxValue, lowOpen: true);
        Range(options.WeightDecay, nameof(options.WeightDecay), 0, double.MaxValue);
        Range(options.GradientClipNorm, nameof(options.GradientClipNorm), 0, double.MaxValue);
        Range(options.Dropout, nameof(options.Dropout), 0, 1, highOpen: true);
        Range(options.ValidationFraction, nameof(options.ValidationFraction), 0, 1, highOpen: true);
        Range(options.Beta, nameof(options.Beta), 0, double.MaxValue);
        Range(options.AnnealingEpochs, nameof(options.AnnealingEpochs), 0, double.MaxValue);
        Range(options.CycleRampFraction, nameof(options.CycleRampFraction), 0, 1, lowOpen: true);
        Range(options.FreeBits, nameof(options.FreeBits), 0, double.MaxValue);
        Defined(options.Activation, nameof(options.Activation));
        Defined(options.KlSchedule, nameof(options.KlSchedule));
        Defined(options.NumericLoss, nameof(options.NumericLoss));
        Defined(options.Reduction, nameof(options.Reduction));

        if (missingText.Any(t => t is null))
        {
            throw new ArgumentOutOfRangeException(nameof(options.MissingTextValues), "Missing text values must not be null.");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, option) in OutputColumns(options, columns))
        {
            if (string.IsNullOrWhiteSpace(name))
            {
                throw new ArgumentOutOfRangeException(option, "Output column names must not be empty.");
            }

            if (!names.Add(name))
            {
                throw new ArgumentOutOfRangeException(option, $"Output column name '{name}' is used twice.");
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
            var interval = $"{(lowOpen ? "(" : "[")}{low}, {(high == double.MaxValue ? "inf" : high.ToString(System.Globalization.CultureInfo.InvariantCulture))}{(highOpen || high == double.MaxValue ? ")" : "]")}";
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

/// <summary>The output columns a transformer produces (null where not requested).</summary>
/// <param name="Latent">The posterior mean.</param>
/// <param name="LogVariance">The posterior log-variance.</param>
/// <param name="Score">The anomaly score (negative ELBO at the posterior mean).</param>
/// <param name="ReconstructionError">The weighted reconstruction loss.</param>
/// <param name="ColumnErrors">The weighted reconstruction loss of each input column, as a vector.</param>
/// <param name="ReconstructionSuffix">Suffix of the per-column reconstructed values.</param>
/// <param name="ImputationSuffix">Suffix of the per-column imputed values.</param>
internal sealed record OutputNames(
    string Latent, string? LogVariance, string? Score, string? ReconstructionError,
    string? ColumnErrors = null, string? ReconstructionSuffix = null, string? ImputationSuffix = null)
{
    public static OutputNames From(VariationalAutoencoderOptions options) =>
        new(options.OutputColumnName, options.LogVarianceColumnName, options.ScoreColumnName, options.ReconstructionErrorColumnName,
            options.ColumnErrorsColumnName, options.ReconstructedColumnSuffix, options.ImputedColumnSuffix);
}
