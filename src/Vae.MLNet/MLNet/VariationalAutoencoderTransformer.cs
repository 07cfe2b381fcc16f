using System.Security.Cryptography;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Vae.MLNet;
using Vae.MLNet.Columns;
using Vae.MLNet.Model;
using Vae.MLNet.Onnx;
using Vae.MLNet.Persistence;
using Vae.MLNet.Transform;

[assembly: LoadableClass(typeof(VariationalAutoencoderTransformer), null, typeof(SignatureLoadModel),
    "Variational Autoencoder Transformer", VariationalAutoencoderTransformer.LoaderSignature)]

namespace Vae.MLNet;

/// <summary>A fitted variational autoencoder. <c>Transform</c> appends the posterior mean of each row (and, if
/// requested, its log-variance, anomaly score and reconstruction error), lazily and in batches; every input column
/// passes through. Saves and loads with <c>mlContext.Model.Save/Load</c>. Runs without TorchSharp: the trained
/// weights are evaluated by managed kernels whose results do not depend on batch size or thread.</summary>
public sealed class VariationalAutoencoderTransformer : ITransformer, IDisposable
{
    internal const string LoaderSignature = "VaeMLNetTransformer";

    /// <summary>Rows per batch in <c>Transform</c>'s cursor.</summary>
    internal const int TransformBatchSize = 512;

    private readonly IHost _host;
    private readonly List<VaeEpochResult> _history;
    private readonly VaeReconstructionReduction _reduction;

    internal VariationalAutoencoderTransformer(
        IHostEnvironment environment, ColumnEncoding encoding, VaeWeights weights, VaeReconstructionReduction reduction,
        IReadOnlyList<OutputColumnSpec> outputs, IReadOnlyList<VaeEpochResult> history)
    {
        _host = environment.Register(nameof(VariationalAutoencoderTransformer));
        Encoding = encoding;
        Weights = weights;
        Outputs = outputs;
        _reduction = reduction;
        _history = history.ToList();
        Inference = new VaeInference(weights, encoding, reduction);
        Columns = encoding.Columns.Select(c => c.ToInfo()).ToArray();
    }

    /// <summary>Per-epoch figures of the training that produced this model (kept through save and load).</summary>
    public IReadOnlyList<VaeEpochResult> TrainingHistory => _history.AsReadOnly();

    /// <summary>How each input column is encoded: kind, span, learned statistics and categories.</summary>
    public IReadOnlyList<VaeColumnInfo> Columns { get; }

    /// <summary>The size of the latent space.</summary>
    public int LatentDimension => Weights.Latent;

    /// <summary>The name of the latent-mean output column.</summary>
    public string OutputColumnName => Outputs.First(o => o.Kind == OutputKind.Latent).Name;

    /// <inheritdoc />
    public bool IsRowToRowMapper => true;

    internal ColumnEncoding Encoding { get; }

    internal VaeWeights Weights { get; }

    /// <summary>The output columns, in schema order.</summary>
    internal IReadOnlyList<OutputColumnSpec> Outputs { get; }

    internal VaeInference Inference { get; }

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException">An input column is missing or its type differs from training.</exception>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        _host.CheckValue(inputSchema, nameof(inputSchema));
        return new VaeMapper(Inference, Outputs, inputSchema).OutputSchema;
    }

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        _host.CheckValue(inputSchema, nameof(inputSchema));
        return new VaeMapper(Inference, Outputs, inputSchema);
    }

    /// <inheritdoc />
    public IDataView Transform(IDataView input)
    {
        _host.CheckValue(input, nameof(input));
        var mapper = new VaeMapper(Inference, Outputs, input.Schema);
        return new VaeDataView(_host, input, mapper, TransformBatchSize, new VaeOnnxExport(mapper));
    }

    /// <summary>Decodes latent points into rows of the original columns, in their original types: numbers
    /// de-standardised and kept within the range seen at fit, categories as their key or text value (the most likely
    /// one among those seen at fit: never the bucket of other values), binary columns as Booleans or, for numeric
    /// columns, as the probability of 1. The rows are decoded while the view is read, a batch of points at a time, so
    /// the view's memory does not grow with the number of points. A collection of points (an array, a list) is read
    /// where it is, by each cursor; any other sequence is enumerated once, here, and its points kept.</summary>
    /// <param name="latentPoints">Points of <see cref="LatentDimension"/> finite values each.</param>
    /// <exception cref="ArgumentOutOfRangeException">A point has another size or a value that is not finite.</exception>
    /// <exception cref="InvalidOperationException">When the view is read: a point lies so far from the prior that
    /// the decoder's outputs overflow.</exception>
    public IDataView Decode(IEnumerable<float[]> latentPoints)
    {
        _host.CheckValue(latentPoints, nameof(latentPoints));
        var points = latentPoints as IReadOnlyCollection<float[]> ?? latentPoints.ToArray();
        long count = 0;
        foreach (var point in points)
        {
            CheckPoint(point, count++, nameof(latentPoints));
        }

        return new DecodedRowsView(_host, Encoding, Weights.NumericNoise, count, () => new DecodedPoints(this, points, count));
    }

    /// <summary>The decoder as a transformer, to export it for generation where an ONNX file runs:
    /// <c>mlContext.Model.ConvertToOnnx(model.CreateDecoder(), points, stream)</c> writes a graph whose input is the
    /// column <paramref name="latentColumnName"/> (vectors of <see cref="LatentDimension"/> floats) and whose outputs
    /// are the model's input columns, each the most likely value in its own type, as <see cref="Decode"/> gives them.
    /// The graph draws nothing: for new rows, feed it points drawn from N(0, I). Its <c>Transform</c> decodes the
    /// points of a view (the latent column is not passed through); it is not a step to save in a model.</summary>
    /// <param name="latentColumnName">The name of the latent column the decoder reads.</param>
    /// <exception cref="ArgumentException">The name is empty.</exception>
    public ITransformer CreateDecoder(string latentColumnName = "Latent")
    {
        _host.CheckNonWhiteSpace(latentColumnName, nameof(latentColumnName));
        return new DecoderTransformer(_host, this, latentColumnName);
    }

    /// <summary>Samples synthetic rows from the generative model: latent points drawn from the prior N(0, I), decoded,
    /// and every column drawn from the decoder's distribution: categories and binary values from its probabilities,
    /// numbers from its Gaussian (the learned standard deviation under Gaussian NLL; under squared error the root
    /// mean square residual measured on the training data), then clipped to the range seen at fit and rounded to the
    /// decimal places the column's values had (whole numbers stay whole). Text categories are drawn among those seen
    /// at fit, never the bucket of other values. The rows are drawn while the view is read, a batch at a time, so its
    /// memory does not grow with <paramref name="count"/>; every reading gives the same rows.</summary>
    /// <param name="count">Number of rows.</param>
    /// <param name="seed">Seed of the draws; the same seed gives the same rows.</param>
    public IDataView Generate(int count, int seed = 0)
    {
        if (count <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "The number of rows must be positive.");
        }

        // The draws of one generator seeded with the seed: first every latent point, then column after column every
        // row's values. Each column reads a copy skipped to where its draws begin (found once, when first read).
        var starts = new Lazy<SeededDraws[]>(() => DrawStarts(count, seed), LazyThreadSafetyMode.ExecutionAndPublication);
        return new DecodedRowsView(_host, Encoding, Weights.NumericNoise, count, () => new DrawnRows(this, count, starts.Value));
    }

    /// <summary>Samples synthetic rows that meet conditions: the conditioned columns hold exactly the values asked (a
    /// number in a range is drawn from the model within the range), and every other column is drawn from the model
    /// given them. Each row's latent code is drawn from the model's conditional p(z | conditions) by sampling
    /// importance resampling: proposals from the encoder's posterior of the partial row that holds only the
    /// conditioned values (every other column given as missing), weighted by p(z) p(conditions | z) / q(z | conditions).
    /// The rows are then decoded and drawn as by <see cref="Generate(int, int)"/>. This is the distribution reject
    /// sampling from <see cref="Generate(int, int)"/> draws from, without its failure: a condition held by few training
    /// rows costs no more than a common one. The encoder proposes well when the model was fitted with
    /// <see cref="VariationalAutoencoderOptions.AllowMissingValues"/> and
    /// <see cref="VariationalAutoencoderOptions.MaskingRate"/> (say 0.4), which hides cells at random in training.</summary>
    /// <param name="count">Number of rows.</param>
    /// <param name="conditions">The conditions, at most one per column; none gives <see cref="Generate(int, int)"/>.</param>
    /// <param name="seed">Seed of the draws; the same seed gives the same rows.</param>
    /// <exception cref="ArgumentOutOfRangeException">A condition names no column of the model, a category not seen at
    /// fit, a value outside the range seen at fit, or a column twice; the message names it.</exception>
    /// <exception cref="InvalidOperationException">The model was fitted without missing-value indicators
    /// (<see cref="VariationalAutoencoderOptions.AllowMissingValues"/>).</exception>
    public IDataView Generate(int count, IEnumerable<VaeCondition> conditions, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(conditions);
        if (count <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "The number of rows must be positive.");
        }

        var resolved = ColumnCondition.Resolve(Encoding, conditions);
        if (resolved.Length == 0)
        {
            return Generate(count, seed);
        }

        if (!Encoding.AllowsMissing)
        {
            throw new InvalidOperationException(
                "Conditional generation infers the latent code from the conditioned columns alone, with the others given as missing: fit with AllowMissingValues = true (and MaskingRate, e.g. 0.4, so that the encoder learns from partial rows).");
        }

        var random = new Random(seed);
        var points = new ConditionalSampler(Inference, Encoding, Weights).Sample(resolved, count, random);
        return RowDecoder.ToDataView(_host, Encoding, Weights.NumericNoise, DecodeRaw(points), count, random, resolved);
    }

    /// <summary>The generators of a generation: the latent points' first, then one per column, each at the first
    /// draw of its part.</summary>
    private SeededDraws[] DrawStarts(int count, int seed)
    {
        var draws = new SeededDraws(seed);
        var starts = new SeededDraws[Encoding.Columns.Count + 1];
        starts[0] = draws.Copy();
        draws.Skip(2L * count * LatentDimension);
        var hasNoise = Weights.NumericNoise.Length > 0;
        for (var c = 0; c < Encoding.Columns.Count; c++)
        {
            starts[c + 1] = draws.Copy();
            draws.Skip((long)count * RowDecoder.DrawsPerRow(Encoding.Columns[c], hasNoise));
        }

        return starts;
    }

    private void CheckPoint(float[]? point, long index, string parameter)
    {
        if (point is null || point.Length != LatentDimension)
        {
            throw new ArgumentOutOfRangeException(parameter, $"Every latent point must have {LatentDimension} values; point {index} has {point?.Length ?? 0}.");
        }

        if (!point.All(float.IsFinite))
        {
            throw new ArgumentOutOfRangeException(parameter, $"Latent point {index} has a value that is not a finite number.");
        }
    }

    /// <summary>Generated rows, a batch at a time: the batch's latent points drawn from the prior, decoded, and each
    /// column's values drawn from its own generator.</summary>
    private sealed class DrawnRows(VariationalAutoencoderTransformer model, int count, SeededDraws[] starts) : DecodedRowsView.IDecodedBatches
    {
        private readonly SeededDraws _latent = starts[0].Copy();
        private readonly Random[] _columns = starts.Skip(1).Select(s => (Random)s.Copy()).ToArray();
        private int _done;

        public int Next(out float[] decoded, out IReadOnlyList<Random>? randoms)
        {
            var rows = Math.Min(DecodedRowsView.BatchRows, count - _done);
            randoms = _columns;
            if (rows == 0)
            {
                decoded = [];
                return 0;
            }

            var points = new float[rows][];
            for (var i = 0; i < rows; i++)
            {
                points[i] = new float[model.LatentDimension];
                for (var j = 0; j < model.LatentDimension; j++)
                {
                    points[i][j] = (float)ColumnDecoder.Gaussian(_latent);
                }
            }

            decoded = model.DecodeRaw(points, _done);
            _done += rows;
            return rows;
        }
    }

    /// <summary>Given latent points, a batch at a time.</summary>
    private sealed class DecodedPoints(VariationalAutoencoderTransformer model, IEnumerable<float[]> points, long count) : DecodedRowsView.IDecodedBatches
    {
        private readonly IEnumerator<float[]> _points = points.GetEnumerator();
        private long _done;

        public int Next(out float[] decoded, out IReadOnlyList<Random>? randoms)
        {
            randoms = null;
            var batch = new List<float[]>(DecodedRowsView.BatchRows);
            while (batch.Count < DecodedRowsView.BatchRows && _points.MoveNext())
            {
                // Read again: the collection may have changed since Decode checked it.
                model.CheckPoint(_points.Current, _done + batch.Count, "latentPoints");
                batch.Add(_points.Current);
            }

            if (_done + batch.Count > count || (batch.Count < DecodedRowsView.BatchRows && _done + batch.Count < count))
            {
                throw new InvalidOperationException($"The collection of latent points held {count:N0} points when Decode checked them, and another number when the view was read.");
            }

            decoded = batch.Count == 0 ? [] : model.DecodeRaw([.. batch], _done);
            _done += batch.Count;
            return batch.Count;
        }
    }

    private float[] DecodeRaw(float[][] points, long firstIndex = 0)
    {
        var latent = LatentDimension;
        var z = new float[points.Length * latent];
        for (var i = 0; i < points.Length; i++)
        {
            points[i].CopyTo(z, i * latent);
        }

        var width = Weights.OutputWidth;
        var decoded = new float[points.Length * width];
        Inference.Decode(z, latent, points.Length, decoded, Inference.CreateWorkspace(Math.Max(1, points.Length)));
        for (var i = 0; i < points.Length; i++)
        {
            if (IsFinite(decoded.AsSpan(i * width, width)))
            {
                continue;
            }

            throw new InvalidOperationException(
                $"The decoder's outputs for latent point {firstIndex + i} are not finite numbers: the point lies too far from the prior N(0, I) (its largest coordinate is {points[i].Max(Math.Abs).ToString(System.Globalization.CultureInfo.InvariantCulture)}).");
        }

        return decoded;
    }

    private static bool IsFinite(ReadOnlySpan<float> values)
    {
        foreach (var value in values)
        {
            if (!float.IsFinite(value))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Releases nothing native: the transformer holds managed weights only. Kept so callers can treat it
    /// like the TorchSharp-based components they dispose.</summary>
    public void Dispose()
    {
    }

    // Binary format of the model's entry, after ML.NET's header (whose written version names the layout):
    //   int       length of the content
    //   byte[]    the content:
    //               int     output column count, then per column: byte kind (OutputKind), string name,
    //                       int position of its input column among the model's columns (-1: a whole-row output)
    //               byte    reconstruction reduction (VaeReconstructionReduction)
    //               ...     the column encoding (ColumnEncoding.Write), the weights (VaeWeights.Write), the
    //                       training history (HistoryFormat.Write)
    //   byte[32]  SHA-256 of the content, so that damage the zip container lets through is caught on load
    // Strings are written by ModelWriter: int length, then UTF-16 code units.
    //
    // Versions:
    //   0x00010001  the content above preceded by an int 2, strings in UTF-8, the output columns as seven names
    //               (latent; log-variance, score, reconstruction error, column errors, reconstructed suffix and
    //               imputed suffix, each a bool then the string when present). Still read.
    //   0x00010003  strings as UTF-16 code units (lone surrogates survive); the output columns as a list. Still read.
    //   0x00010004  each column ends with a bool, then, when true, its mode-specific encoding (NumericModes.Write).
    private const uint VersionUtf8Names = 0x00010001;
    private const uint VersionUtf16 = 0x00010003;
    private const uint VersionCurrent = 0x00010004;

    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        _host.CheckValue(ctx, nameof(ctx));
        ctx.CheckAtModel();
        ctx.SetVersionInfo(GetVersionInfo());

        using var content = new MemoryStream();
        using (var writer = new ModelWriter(content))
        {
            OutputColumnSpec.Write(writer, Outputs);
            writer.Write((byte)_reduction);
            Encoding.Write(writer);
            Weights.Write(writer);
            HistoryFormat.Write(writer, _history);
        }

        var bytes = content.GetBuffer().AsSpan(0, (int)content.Length);
        ctx.Writer.Write(bytes.Length);
        ctx.Writer.Write(bytes);
        ctx.Writer.Write(SHA256.HashData(bytes));
    }

    private static VersionInfo GetVersionInfo() => new(
        modelSignature: "VAEMLNET",
        verWrittenCur: VersionCurrent,
        verReadableCur: VersionCurrent,
        verWeCanReadBack: VersionUtf8Names,
        loaderSignature: LoaderSignature,
        loaderAssemblyName: typeof(VariationalAutoencoderTransformer).Assembly.FullName);

    private static VariationalAutoencoderTransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        ArgumentNullException.ThrowIfNull(env);
        env.CheckValue(ctx, nameof(ctx));
        ctx.CheckAtModel(GetVersionInfo());
        try
        {
            var version = ctx.Header.ModelVerWritten;
            ModelFormat.Check(version is VersionUtf8Names or VersionUtf16 or VersionCurrent, $"format version 0x{version:X8} is unknown");
            if (version == VersionUtf8Names)
            {
                var layout = ctx.Reader.ReadInt32();
                ModelFormat.Check(layout == 2, $"format version {layout} is not 2");
            }

            var reader = VerifiedContent(ctx.Reader, utf16Strings: version != VersionUtf8Names, withModes: version == VersionCurrent);
            var outputs = version != VersionUtf8Names ? OutputColumnSpec.Read(reader) : ReadOutputNames(reader);
            var reduction = (VaeReconstructionReduction)reader.ReadByte();
            ModelFormat.Check(Enum.IsDefined(reduction), "unknown reconstruction reduction");
            var encoding = ColumnEncoding.Read(reader);
            var weights = VaeWeights.Read(reader);
            ModelFormat.Check(weights.InputWidth == encoding.InputWidth && weights.OutputWidth == encoding.Width, "the weights do not fit the column encoding");
            var numericFeatures = encoding.NumericFeatureCount;
            ModelFormat.Check(weights.NumericLogVar.Length == 0 || weights.NumericLogVar.Length == numericFeatures, "the learned numeric variances do not fit the columns");
            ModelFormat.Check(weights.NumericNoise.Length == 0 || weights.NumericNoise.Length == numericFeatures, "the numeric noise levels do not fit the columns");
            var history = HistoryFormat.Read(reader);
            var columns = encoding.Columns.Select(c => c.Name).ToArray();
            var outputColumns = outputs(columns);
            ModelFormat.Check(outputColumns.All(o => o.InputColumn < columns.Length), "an output column names no input column of the model");
            return new VariationalAutoencoderTransformer(env, encoding, weights, reduction, outputColumns, history);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("The saved variational autoencoder is corrupt or incompatible: the file ends early.", e);
        }
    }

    /// <summary>Reads the length-prefixed content and checks it against the SHA-256 stored after it.</summary>
    private static ModelReader VerifiedContent(BinaryReader reader, bool utf16Strings, bool withModes)
    {
        var length = ModelFormat.CheckCount(reader.ReadInt32(), "content length", int.MaxValue);
        var content = reader.ReadBytes(length);
        ModelFormat.Check(content.Length == length, "the file ends early");
        var checksum = reader.ReadBytes(SHA256.HashSizeInBytes);
        ModelFormat.Check(checksum.Length == SHA256.HashSizeInBytes, "the file ends early");
        ModelFormat.Check(SHA256.HashData(content).AsSpan().SequenceEqual(checksum), "its checksum does not match its content");
        return new ModelReader(new MemoryStream(content, writable: false), utf16Strings, withModes);
    }

    /// <summary>Format 0x00010001's output names (the latent's, then six optional ones: a bool, then the string when
    /// present); the per-column outputs follow from the model's columns, read later.</summary>
    private static Func<IReadOnlyList<string>, OutputColumnSpec[]> ReadOutputNames(ModelReader reader)
    {
        string? Optional() => reader.ReadBoolean() ? reader.ReadString() : null;
        var (latent, logVariance, score, error, columnErrors, reconstructed, imputed) =
            (reader.ReadString(), Optional(), Optional(), Optional(), Optional(), Optional(), Optional());
        return columns => OutputColumnSpec.List(latent, logVariance, score, error, columnErrors, reconstructed, imputed, columns);
    }
}
