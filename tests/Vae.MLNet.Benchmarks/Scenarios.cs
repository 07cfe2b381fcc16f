using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Vae.MLNet.Columns;
using static TorchSharp.torch;
using static Vae.MLNet.Benchmarks.Harness;

namespace Vae.MLNet.Benchmarks;

/// <summary>Sizes of one run: <c>quick</c> (minutes on 2 cores) or <c>full</c>.</summary>
internal sealed record Plan(
    string Name,
    int Repetitions,
    int MnistRows,
    int MnistEpochs,
    int TabularRows,
    int TabularEpochs,
    int MixedRows,
    int MixedEpochs,
    int TransformRows,
    int EngineCalls,
    int[] ScalingRows,
    int ScalingWidthRows,
    int[] TransformMemoryRows)
{
    public static readonly Plan Quick = new("quick", 7, 6_000, 2, 20_000, 3, 20_000, 3, 1_000_000, 20_000, [10_000, 100_000], 20_000, [10_000, 100_000, 1_000_000])
    {
        StreamingRows = [100_000, 1_000_000],
        StreamingSpeedRows = 200_000,
        StreamingPairs = 1,
    };

    /// <summary>Rows of the streamed fits whose peak memory is measured (one epoch each).</summary>
    public int[] StreamingRows { get; init; } = [100_000, 1_000_000, 10_000_000];

    /// <summary>Rows of the streamed against in-memory throughput comparison (two epochs each), and its pairs.</summary>
    public int StreamingSpeedRows { get; init; } = 1_000_000;

    public int StreamingPairs { get; init; } = 2;

    /// <summary>Rows of the Generate memory runs.</summary>
    public int[] GenerateRows { get; init; } = [100_000, 1_000_000];

    /// <summary>Networks of the thread measurements; the ones marked loaded give a loaded-vs-quiet ratio.</summary>
    public ThreadShape[] ThreadShapes { get; init; } =
    [
        new(20_000, 100, 64, 8, 256, 3, true, "fit-loaded-vs-quiet"),
        new(20_000, 100, 256, 8, 256, 3, false, ""),
        new(12_000, 784, 128, 8, 128, 2, false, ""),
        new(6_000, 784, 512, 2, 128, 2, true, "fit-loaded-vs-quiet-mnist"),
        new(6_000, 784, 1024, 16, 256, 2, false, ""),
    ];

    /// <summary>Column counts of the scaling-in-width runs.</summary>
    public static readonly int[] ScalingWidths = [10, 1000];

    public static readonly Plan Full = new("full", 5, 60_000, 3, 100_000, 5, 32_561, 10, 1_000_000, 100_000, [10_000, 100_000, 1_000_000], 100_000, [10_000, 100_000, 1_000_000]);
}

/// <summary>A network of the thread measurements: a Binary vector column of <paramref name="Width"/>, one hidden layer.</summary>
internal sealed record ThreadShape(int Rows, int Width, int Hidden, int Latent, int Batch, int Epochs, bool Loaded, string RatioName);

/// <summary>The scenarios; each prints its table rows and returns its figures.</summary>
internal static class Scenarios
{
    public static readonly int[] MnistHidden = [512];
    public static readonly int[] TabularHidden = [64];

    /// <summary>Fit through ML.NET on an in-memory table against the bare loop on the same values in one tensor.
    /// Returns throughput ratio (fit rows/s over bare rows/s).</summary>
    public static double FitVsBare(string label, Plan plan, int rows, int width, int[] hidden, int latent, int batch, int epochs, bool unit)
    {
        var values = Data.Dense(rows, width, seed: 7, unit);
        var ml = new MLContext(seed: 1);
        var view = Data.VectorView(ml, Data.ToRows(values, width), width);
        var kind = unit ? VaeColumnKind.Binary : VaeColumnKind.Numeric;
        var options = new VariationalAutoencoderOptions
        {
            Columns = [new VaeColumn(nameof(VectorRow.Features), kind)],
            HiddenLayers = hidden,
            LatentDimension = latent,
            BatchSize = batch,
            Epochs = epochs,
            Seed = 1,

            // The bare loop's thread count: the comparison is of the same work on the same threads.
            NumberOfThreads = get_num_threads(),
        };
        using var tensorData = tensor(values, [rows, width]);
        var loss = unit ? BareLoss.BinaryCrossEntropy : BareLoss.SquaredError;
        return Compare(label, plan, rows, epochs,
            () => Fit(ml, options, view),
            () => BareLoop.Train(tensorData, hidden, latent, batch, epochs, loss, seed: 1));
    }

    /// <summary>Fit on an Adult-shaped table (6 numeric, 8 text categorical columns) against the bare loop with one
    /// squared error over the same encoded matrix.</summary>
    public static double MixedVsBare(Plan plan)
    {
        var ml = new MLContext(seed: 1);
        var view = ml.Data.LoadFromEnumerable(Data.AdultRows(plan.MixedRows, seed: 3).ToList());
        VaeColumn[] columns = [
            .. Data.AdultNumeric.Select(n => new VaeColumn(n, VaeColumnKind.Numeric)),
            .. Data.AdultCategorical.Select(n => new VaeColumn(n, VaeColumnKind.Categorical))];
        var options = new VariationalAutoencoderOptions { Columns = columns, Epochs = plan.MixedEpochs, Seed = 1, NumberOfThreads = get_num_threads() };
        var requests = ColumnResolver.Resolve(view.Schema, columns, "columns");
        var encoding = ColumnEncodingFitter.Fit(view, requests, options.MaxCategories);
        var matrix = ColumnEncodingFitter.Encode(view, encoding);
        using var tensorData = tensor(matrix.Values, [matrix.Rows, matrix.Width]);
        var hidden = options.HiddenLayers.ToArray();
        Console.WriteLine($"  mixed table: {matrix.Rows} rows, {columns.Length} columns -> {matrix.Width} encoded features, hidden {string.Join('-', hidden)}, latent {options.LatentDimension}, batch {options.BatchSize}");
        return Compare("fit-mixed", plan, matrix.Rows, plan.MixedEpochs,
            () => Fit(ml, options, view),
            () => BareLoop.Train(tensorData, hidden, options.LatentDimension, options.BatchSize, plan.MixedEpochs, BareLoss.SquaredError, seed: 1));
    }

    private static (double Total, double Training) Fit(MLContext ml, VariationalAutoencoderOptions options, IDataView view)
    {
        var clock = Stopwatch.StartNew();
        using var model = ml.Transforms.VariationalAutoencoder(options).Fit(view);
        return (clock.Elapsed.TotalSeconds, model.TrainingHistory[^1].Elapsed.TotalSeconds);
    }

    private static double Compare(string label, Plan plan, int rows, int epochs, Func<(double Total, double Training)> fit, Action bare)
    {
        // One untimed run of each, then pairs of runs in alternating order: the load of a shared machine changes
        // from second to second, and the two runs of a pair see nearly the same load. The ratio is the median of
        // the pairs' ratios. Processor time (all threads of this process) is shown beside: with one torch thread it
        // counts the work done whatever the load.
        fit();
        bare();
        var fitSeconds = new List<double>();
        var fitCpu = new List<double>();
        var trainingSeconds = new List<double>();
        var bareSeconds = new List<double>();
        var bareCpu = new List<double>();
        for (var i = 0; i < plan.Repetitions; i++)
        {
            if (i % 2 == 1)
            {
                RunBare();
            }

            Settle();
            var cpu = Cpu();
            var (total, training) = fit();
            fitCpu.Add(Cpu() - cpu);
            fitSeconds.Add(total);
            trainingSeconds.Add(training);
            if (i % 2 == 0)
            {
                RunBare();
            }
        }

        void RunBare()
        {
            Settle();
            var cpu = Cpu();
            bareSeconds.AddRange(Time(0, 1, bare));
            bareCpu.Add(Cpu() - cpu);
        }

        var work = (double)rows * epochs;
        var ratio = Median(fitSeconds.Zip(bareSeconds, (f, b) => b / f));
        var cpuRatio = Median(fitCpu.Zip(bareCpu, (f, b) => b / f));
        Console.WriteLine($"  {label}: {rows} rows x {epochs} epochs, {plan.Repetitions} pairs; medians: fit {F(Median(fitSeconds))} s ({N(work / Median(fitSeconds))} rows/s; training loop alone {F(Median(trainingSeconds))} s), bare {F(Median(bareSeconds))} s ({N(work / Median(bareSeconds))} rows/s); processor s fit {F(Median(fitCpu))} bare {F(Median(bareCpu))} (ratio {F(cpuRatio)}); pairs fit/bare s: {string.Join(' ', fitSeconds.Zip(bareSeconds, (f, b) => F(f) + "/" + F(b)))}");
        return ratio;
    }

    private static double Cpu() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;

    /// <summary>Batched transform throughput (output fully read) and single-row PredictionEngine latency, VAE
    /// (100-64-8) against ML.NET's PCA (100 -> 8), on a cached in-memory input. Returns the throughput ratio.</summary>
    public static double TransformVsPca(Plan plan)
    {
        const int Width = 100, Latent = 8;
        var ml = new MLContext(seed: 1);
        var values = Data.Dense(plan.TransformRows, Width, seed: 11, unit: false);
        var view = ml.Data.Cache(Data.VectorView(ml, Data.ToRows(values, Width), Width));
        values = [];
        Drain(view, nameof(VectorRow.Features));

        using var vae = ml.Transforms.VariationalAutoencoder(new VariationalAutoencoderOptions
        {
            Columns = [nameof(VectorRow.Features)],
            HiddenLayers = TabularHidden,
            LatentDimension = Latent,
            Epochs = 1,
            Seed = 1,
        }).Fit(ml.Data.TakeRows(view, 20_000));
        var pca = ml.Transforms.ProjectToPrincipalComponents("Pca", nameof(VectorRow.Features), rank: Latent, seed: 1).Fit(ml.Data.TakeRows(view, 20_000));

        var vaeSeconds = new List<double>();
        var pcaSeconds = new List<double>();
        Drain(vae.Transform(view), "Latent");
        Drain(pca.Transform(view), "Pca");
        // A tenth of the rows as well: the two sizes split each pass's time into a cost per row and a fixed cost.
        var tenth = ml.Data.TakeRows(view, plan.TransformRows / 10);
        var vaeTenth = new List<double>();
        var pcaTenth = new List<double>();
        for (var i = 0; i < plan.Repetitions; i++)
        {
            vaeSeconds.AddRange(Time(0, 1, () => Drain(vae.Transform(view), "Latent")));
            pcaSeconds.AddRange(Time(0, 1, () => Drain(pca.Transform(view), "Pca")));
            vaeTenth.AddRange(Time(0, 1, () => Drain(vae.Transform(tenth), "Latent")));
            pcaTenth.AddRange(Time(0, 1, () => Drain(pca.Transform(tenth), "Pca")));
        }

        (double PerRowUs, double FixedMs) Split(List<double> full, List<double> part)
        {
            var perRow = (Median(full) - Median(part)) / (0.9 * plan.TransformRows);
            return (perRow * 1e6, (Median(full) - (perRow * plan.TransformRows)) * 1e3);
        }

        var (vaeRow, vaeFixed) = Split(vaeSeconds, vaeTenth);
        var (pcaRow, pcaFixed) = Split(pcaSeconds, pcaTenth);
        Console.WriteLine($"  {plan.TransformRows / 10} rows: vae {F(Median(vaeTenth), 3)} s, pca {F(Median(pcaTenth), 3)} s; per row vae {F(vaeRow, 3)} us, pca {F(pcaRow, 3)} us (ratio {F(pcaRow / vaeRow, 2)}); fixed per pass vae {F(vaeFixed, 1)} ms, pca {F(pcaFixed, 1)} ms");

        // The parts alone: reading and encoding the input rows, and the managed forward pass over as many rows (the
        // first batch of encoded input rows, again and again) in batches of the transform's size.
        var inference = vae.Inference;
        var batch = VariationalAutoencoderTransformer.TransformBatchSize;
        var x = new float[batch * inference.InputWidth];
        var encodeSeconds = Time(1, plan.Repetitions, () =>
        {
            using var cursor = view.GetRowCursor(view.Schema);
            var encoder = new RowEncoder(inference.Encoding, cursor);
            var r = 0;
            while (cursor.MoveNext())
            {
                encoder.Encode(x.AsSpan((r % batch) * inference.InputWidth, inference.InputWidth), cursor.Position);
                r++;
            }
        });
        var workspace = inference.CreateWorkspace(batch);
        var heads = new float[batch * 2 * Latent];
        var kernelSeconds = Time(1, plan.Repetitions, () =>
        {
            for (var done = 0; done < plan.TransformRows; done += batch)
            {
                inference.Encode(x, Math.Min(batch, plan.TransformRows - done), heads, workspace);
            }
        });
        Console.WriteLine($"  of which reading and encoding the input alone: {F(Median(encodeSeconds), 3)} s; the encoder's forward pass alone: {N(plan.TransformRows / Median(kernelSeconds))} rows/s ({F(Median(kernelSeconds), 3)} s)");
        var vaeRate = plan.TransformRows / Median(vaeSeconds);
        var pcaRate = plan.TransformRows / Median(pcaSeconds);
        Console.WriteLine($"  transform {plan.TransformRows} rows, 100 -> 8, cached input, output read: vae {N(vaeRate)} rows/s ({F(Median(vaeSeconds), 3)} s), pca {N(pcaRate)} rows/s ({F(Median(pcaSeconds), 3)} s); {plan.Repetitions} runs each, medians");

        // Single rows through a PredictionEngine.
        var schema = SchemaDefinition.Create(typeof(VectorRow));
        schema[nameof(VectorRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, Width);
        var inputs = Data.DenseRows(1000, Width, seed: 12, unit: false).ToArray();
        var vaeEngine = ml.Model.CreatePredictionEngine<VectorRow, LatentOutput>(vae, inputSchemaDefinition: schema);
        var pcaEngine = ml.Model.CreatePredictionEngine<VectorRow, PcaOutput>(pca, inputSchemaDefinition: schema);
        var vaeLatency = Latency(plan.EngineCalls, inputs, row => vaeEngine.Predict(row).Latent[0]);
        var pcaLatency = Latency(plan.EngineCalls, inputs, row => pcaEngine.Predict(row).Pca[0]);
        Console.WriteLine($"  prediction engine, one row, {plan.EngineCalls} calls each: vae median {F(vaeLatency.Median, 1)} us p99 {F(vaeLatency.P99, 1)} us; pca median {F(pcaLatency.Median, 1)} us p99 {F(pcaLatency.P99, 1)} us");
        Console.WriteLine($"result-line engine-vae-median-us={F(vaeLatency.Median, 1)} engine-vae-p99-us={F(vaeLatency.P99, 1)} engine-pca-median-us={F(pcaLatency.Median, 1)} engine-pca-p99-us={F(pcaLatency.P99, 1)}");
        return vaeRate / pcaRate;
    }

    /// <summary>Reads every value of one vector column; returns a checksum so nothing is optimised away.</summary>
    public static double Drain(IDataView view, string column)
    {
        var col = view.Schema[column];
        using var cursor = view.GetRowCursor([col]);
        var getter = cursor.GetGetter<VBuffer<float>>(col);
        VBuffer<float> buffer = default;
        double sum = 0;
        while (cursor.MoveNext())
        {
            getter(ref buffer);
            foreach (var v in buffer.GetValues())
            {
                sum += v;
            }
        }

        return sum;
    }

    private static (double Median, double P99) Latency(int calls, VectorRow[] inputs, Func<VectorRow, float> predict)
    {
        float sink = 0;
        for (var i = 0; i < Math.Min(2000, calls); i++)
        {
            sink += predict(inputs[i % inputs.Length]);
        }

        Settle();
        var micros = new double[calls];
        var tick = 1e6 / Stopwatch.Frequency;
        for (var i = 0; i < calls; i++)
        {
            var start = Stopwatch.GetTimestamp();
            sink += predict(inputs[i % inputs.Length]);
            micros[i] = (Stopwatch.GetTimestamp() - start) * tick;
        }

        GC.KeepAlive(sink);
        return (Median(micros), Percentile(micros, 0.99));
    }

    public sealed class LatentOutput
    {
        public float[] Latent { get; set; } = [];
    }

    public sealed class PcaOutput
    {
        public float[] Pca { get; set; } = [];
    }
}
