// Speed and memory of Vae.MLNet, measured side by side in one run: Fit against a bare TorchSharp loop training the
// same network, Transform and PredictionEngine against ML.NET's PCA, peak memory and scaling in child processes.
// Usage: dotnet run -c Release --project tests/Vae.MLNet.Benchmarks -- quick|full
// Options: section names (fit, fit-mnist, fit-tabular, mixed, transform, memory; onnx; in full or when named: streaming,
// threads, loaded; only when named: profile, profile-mixed, probe) and --threads N. Ends with one line per ratio (higher is better for Vae.MLNet); docs/benchmarks.md has the figures, e.g.
//   ratio fit-vs-bare-mnist=1.08
//   ratio fit-vs-bare-tabular=0.97
//   ratio fit-mixed-vs-bare=0.76
//   ratio transform-vs-pca=0.89
//   ratio transform-vs-onnxruntime=1.22
//   ratio encoder-vs-onnxruntime=2.03
using System.Diagnostics;
using Vae.MLNet;
using Vae.MLNet.Benchmarks;
using static Vae.MLNet.Benchmarks.Harness;

if (args.Length >= 1 && args[0] == "child")
{
    switch (args[1])
    {
        case "fit-memory":
            Children.FitMemory(int.Parse(args[2], Invariant), int.Parse(args[3], Invariant), int.Parse(args[4], Invariant));
            return 0;
        case "fit-loading":
            Children.FitLoading(int.Parse(args[2], Invariant), int.Parse(args[3], Invariant), int.Parse(args[4], Invariant), Enum.Parse<VaeDataLoading>(args[5]));
            return 0;
        case "fit-speed":
            Children.FitSpeed(int.Parse(args[2], Invariant), int.Parse(args[3], Invariant), int.Parse(args[4], Invariant), int.Parse(args[5], Invariant), int.Parse(args[6], Invariant), int.Parse(args[7], Invariant), int.Parse(args[8], Invariant));
            return 0;
        case "generate-memory":
            Children.GenerateMemory(int.Parse(args[2], Invariant), int.Parse(args[3], Invariant));
            return 0;
        case "spin":
            Children.Spin();
            return 0;
        case "transform-memory":
            Children.TransformMemory(int.Parse(args[2], Invariant), int.Parse(args[3], Invariant));
            return 0;
        default:
            Console.Error.WriteLine($"unknown child scenario '{args[1]}'");
            return 2;
    }
}

var plan = args.FirstOrDefault() switch
{
    "quick" or null => Plan.Quick,
    "full" => Plan.Full,
    var other => null,
};
if (plan is null)
{
    Console.Error.WriteLine("usage: Vae.MLNet.Benchmarks quick|full");
    return 2;
}

var threadsArg = Array.IndexOf(args, "--threads");
if (threadsArg >= 0)
{
    Harness.Threads = int.Parse(args[threadsArg + 1], Invariant);
    TorchSharp.torch.set_num_threads(Harness.Threads.Value);
}

var only = args.Skip(1).Where((a, i) => a != "--threads" && (threadsArg < 0 || i + 1 != threadsArg + 1)).ToHashSet();
bool Run(string section) => only.Count == 0 || only.Contains(section);

var clock = Stopwatch.StartNew();
Console.WriteLine($"benchmarks {plan.Name}: {Environment.ProcessorCount} cores, torch threads {TorchSharp.torch.get_num_threads()}, load {File.ReadAllText("/proc/loadavg").Trim()}");
var ratios = new List<(string Name, double Value)>();

if (Run("fit") || Run("fit-mnist") || Run("fit-tabular"))
{
    Console.WriteLine("fit through ML.NET vs the bare TorchSharp loop (throughput, end to end: Fit includes reading and encoding the table)");
}

if (Run("fit") || Run("fit-mnist"))
{
    ratios.Add(("fit-vs-bare-mnist", Scenarios.FitVsBare("mnist 784-512-2 binary, batch 128", plan, plan.MnistRows, 784, Scenarios.MnistHidden, 2, 128, plan.MnistEpochs, unit: true)));
}

if (Run("fit") || Run("fit-tabular"))
{
    ratios.Add(("fit-vs-bare-tabular", Scenarios.FitVsBare("tabular 100-64-8 numeric, batch 256", plan, plan.TabularRows, 100, Scenarios.TabularHidden, 8, 256, plan.TabularEpochs, unit: false)));
}

if (only.Contains("profile"))
{
    Profile.Run(plan.TabularRows, 100, Scenarios.TabularHidden, 8, 256, plan.TabularEpochs, unit: false, plan.Repetitions);
    Profile.Run(plan.MnistRows, 784, Scenarios.MnistHidden, 2, 128, plan.MnistEpochs, unit: true, plan.Repetitions);
}

if (only.Contains("probe"))
{
    ObjectiveProbe.Run(500);
}

if (only.Contains("profile-mixed"))
{
    Profile.Mixed(plan.MixedRows, plan.MixedEpochs, plan.Repetitions);
}

if (Run("mixed"))
{
    Console.WriteLine("mixed columns: Adult-shaped table vs the bare loop with one squared error over the encoded width");
    ratios.Add(("fit-mixed-vs-bare", Scenarios.MixedVsBare(plan)));
}

if (Run("transform"))
{
    Console.WriteLine("transform vs ML.NET PCA");
    ratios.Add(("transform-vs-pca", Scenarios.TransformVsPca(plan)));
}

if (Run("transform") || only.Contains("onnx"))
{
    Console.WriteLine("transform vs the same encoder exported to ONNX and run by ONNX Runtime");
    var (transform, encoder) = OnnxAnchor.TransformVsOnnxRuntime(plan);
    ratios.Add(("transform-vs-onnxruntime", transform));
    ratios.Add(("encoder-vs-onnxruntime", encoder));
}

if (Run("memory"))
{
    Console.WriteLine("fit: peak RSS, RSS per epoch and seconds per epoch (tabular 100-64-8, batch 256, own process each)");
    Console.WriteLine("  | rows | width | encoded MiB | baseline MiB | peak MiB | peak - baseline - encoded | RSS after epoch 1 | after last | s/epoch | s/epoch per 100k rows |");
    var fits = plan.ScalingRows.Select(r => (Rows: r, Width: 100))
        .Concat(Plan.ScalingWidths.Select(w => (Rows: plan.ScalingWidthRows, Width: w)))
        .Append((Rows: plan.ScalingWidthRows, Width: 100))
        .Distinct();
    foreach (var (rows, width) in fits)
    {
        var r = Child("child", "fit-memory", rows.ToString(Invariant), width.ToString(Invariant), "3");
        var peak = double.Parse(r["peak-mib"], Invariant);
        var baseline = double.Parse(r["baseline-mib"], Invariant);
        var encoded = double.Parse(r["encoded-mib"], Invariant);
        var epoch = double.Parse(r["epoch-s"], Invariant);
        Console.WriteLine($"  | {N(rows)} | {width} | {r["encoded-mib"]} | {r["baseline-mib"]} | {r["peak-mib"]} | {F(peak - baseline - encoded, 0)} | {r["rss-epoch1-mib"]} | {r["rss-last-mib"]} | {r["epoch-s"]} | {F(epoch * 100_000 / rows, 3)} |");
    }

    Console.WriteLine("transform: peak RSS on a table generated while read (own process each)");
    Console.WriteLine("  | rows | baseline MiB | peak MiB | RSS at 10% | RSS at end | seconds |");
    foreach (var rows in plan.TransformMemoryRows)
    {
        var r = Child("child", "transform-memory", rows.ToString(Invariant), "100");
        Console.WriteLine($"  | {N(rows)} | {r["baseline-mib"]} | {r["peak-mib"]} | {r["rss-tenth-mib"]} | {r["rss-end-mib"]} | {r["transform-s"]} |");
    }
}

// Long sections: in the full plan, or when named.
bool RunLong(string section) => (only.Count == 0 && plan == Plan.Full) || only.Contains(section);

if (RunLong("streaming"))
{
    Console.WriteLine("fit streamed vs in memory (tabular 100-64-8, batch 256, a table generated while read, own process each)");
    Console.WriteLine("  | rows | loading | epochs | baseline MiB | peak MiB | fit s | rows x epochs / s |");
    var peaks = new List<(int Rows, double Peak)>();
    foreach (var rows in plan.StreamingRows)
    {
        var r = Child("child", "fit-loading", rows.ToString(Invariant), "100", "1", nameof(VaeDataLoading.Streaming));
        peaks.Add((rows, double.Parse(r["peak-mib"], Invariant)));
        Console.WriteLine($"  | {N(rows)} | streaming | 1 | {r["baseline-mib"]} | {r["peak-mib"]} | {r["fit-s"]} | {r["rows-per-s"]} |");
    }

    Console.WriteLine("result-line " + string.Join(' ', peaks.Select(p => $"fit-stream-peak-mib-{Short(p.Rows)}={F(p.Peak, 0)}")));
    Console.WriteLine($"  in memory the encoded table takes rows x width x 4 bytes: 1 GiB holds {N((1L << 30) / (100 * sizeof(float)))} rows at width 100, {N((1L << 30) / (1000 * sizeof(float)))} at width 1,000");
    if (peaks.Count > 1)
    {
        Console.WriteLine($"  largest / smallest peak: {F(peaks[^1].Peak / peaks[0].Peak)}");
    }

    // Throughput: pairs in alternating order, the ratio of each pair's fit times, the median.
    var ratiosOfPairs = new List<double>();
    for (var pair = 0; pair < plan.StreamingPairs; pair++)
    {
        var order = pair % 2 == 0 ? new[] { VaeDataLoading.InMemory, VaeDataLoading.Streaming } : [VaeDataLoading.Streaming, VaeDataLoading.InMemory];
        var seconds = new Dictionary<VaeDataLoading, double>();
        foreach (var loading in order)
        {
            var r = Child("child", "fit-loading", plan.StreamingSpeedRows.ToString(Invariant), "100", "2", loading.ToString());
            seconds[loading] = double.Parse(r["fit-s"], Invariant);
            Console.WriteLine($"  | {N(plan.StreamingSpeedRows)} | {loading} | 2 | {r["baseline-mib"]} | {r["peak-mib"]} | {r["fit-s"]} | {r["rows-per-s"]} |");
        }

        ratiosOfPairs.Add(seconds[VaeDataLoading.InMemory] / seconds[VaeDataLoading.Streaming]);
    }

    ratios.Add(("fit-streaming-vs-memory", Median(ratiosOfPairs)));

    Console.WriteLine("generate: peak RSS of Generate read to the end (100-64-8, own process each)");
    Console.WriteLine("  | rows | baseline MiB | peak MiB | seconds |");
    var generated = new List<(int Rows, string Peak)>();
    foreach (var rows in plan.GenerateRows)
    {
        var r = Child("child", "generate-memory", rows.ToString(Invariant), "100");
        generated.Add((rows, r["peak-mib"]));
        Console.WriteLine($"  | {N(rows)} | {r["baseline-mib"]} | {r["peak-mib"]} | {r["generate-s"]} |");
    }

    Console.WriteLine("result-line " + string.Join(' ', generated.Select(g => $"generate-peak-mib-{Short(g.Rows)}={g.Peak}")));
}

if (RunLong("threads") || RunLong("loaded"))
{
    // Fit seconds per network, with 1 thread and every core, on a quiet machine and with one busy process per core.
    var shapes = RunLong("threads") ? plan.ThreadShapes : plan.ThreadShapes.Where(s => s.Loaded).ToArray();
    Console.WriteLine($"threads: fit seconds on {Environment.ProcessorCount} cores, quiet and with {Environment.ProcessorCount} busy processes (in-memory, Binary vector column, one hidden layer)");
    Console.WriteLine("  | network | batch | multiply-adds a batch | default threads | 1 thread quiet | all cores quiet | 1 thread loaded | all cores loaded | default loaded / quiet |");
    foreach (var shape in shapes)
    {
        string Fit(int threads) => Child("child", "fit-speed", shape.Rows.ToString(Invariant), shape.Width.ToString(Invariant), shape.Hidden.ToString(Invariant), shape.Latent.ToString(Invariant), shape.Batch.ToString(Invariant), shape.Epochs.ToString(Invariant), threads.ToString(Invariant))["fit-s"];
        var cores = Environment.ProcessorCount;
        var multiplyAdds = (((2L * shape.Width * shape.Hidden) + (3L * shape.Hidden * shape.Latent)) * shape.Batch);
        var defaultThreads = multiplyAdds >= VariationalAutoencoderEstimator.Defaults.ThreadedMultiplyAdds ? cores : 1;
        var quiet = new[] { Fit(1), Fit(cores) };
        string[] loaded;
        var spinners = Enumerable.Range(0, cores).Select(_ => StartChild("child", "spin")).ToArray();
        try
        {
            Thread.Sleep(500);
            loaded = [Fit(1), Fit(cores)];
        }
        finally
        {
            foreach (var spinner in spinners)
            {
                spinner.Kill();
                spinner.Dispose();
            }
        }

        var pick = defaultThreads == 1 ? 0 : 1;
        var ratio = double.Parse(quiet[pick], Invariant) / double.Parse(loaded[pick], Invariant);
        Console.WriteLine($"  | {shape.Width}-{shape.Hidden}-{shape.Latent} | {shape.Batch} | {N(multiplyAdds)} | {defaultThreads} | {quiet[0]} | {quiet[1]} | {loaded[0]} | {loaded[1]} | {F(ratio)} |");
        if (shape.Loaded)
        {
            ratios.Add((shape.RatioName, ratio));
        }
    }
}

Console.WriteLine($"benchmarks {plan.Name} done in {F(clock.Elapsed.TotalSeconds, 0)} s, load {File.ReadAllText("/proc/loadavg").Trim()}");
foreach (var (name, value) in ratios)
{
    Console.WriteLine($"ratio {name}={F(value)}");
}

return 0;

static string Short(int rows) => rows >= 1_000_000 ? $"{rows / 1_000_000}m" : $"{rows / 1_000}k";
