using Microsoft.ML;
using static Vae.MLNet.Benchmarks.Harness;

namespace Vae.MLNet.Benchmarks;

/// <summary>Scenarios run in a process of their own, so that the peak resident size is theirs alone. Each prints
/// one "result key=value ..." line.</summary>
internal static class Children
{
    /// <summary>Fit on a table generated while read (rows x width, tabular shape): peak RSS, RSS after each epoch,
    /// and seconds per epoch.</summary>
    public static void FitMemory(int rows, int width, int epochs)
    {
        var ml = new MLContext(seed: 1);
        var view = Data.VectorView(ml, Data.DenseRows(rows, width, seed: 5, unit: false), width);
        WarmUp(ml);
        var baseline = StatusMiB("VmRSS");
        var reset = ResetPeak();
        var epochRss = new List<double>();
        var options = new VariationalAutoencoderOptions
        {
            Columns = [nameof(VectorRow.Features)],
            HiddenLayers = Scenarios.TabularHidden,
            LatentDimension = 8,
            Epochs = epochs,
            Seed = 1,
            Progress = new Recorder(_ => epochRss.Add(StatusMiB("VmRSS"))),
        };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var model = ml.Transforms.VariationalAutoencoder(options).Fit(view);
        var total = clock.Elapsed.TotalSeconds;
        var peak = StatusMiB("VmHWM");
        var history = model.TrainingHistory;
        var epochSeconds = history.Select((h, i) => (h.Elapsed - (i == 0 ? TimeSpan.Zero : history[i - 1].Elapsed)).TotalSeconds).ToArray();
        // The first epoch pays for warming up the native code; the rest are the steady state.
        var perEpoch = Median(epochSeconds.Skip(epochSeconds.Length > 1 ? 1 : 0));
        var encoded = (double)rows * width * sizeof(float) / (1 << 20);
        Console.WriteLine($"result rows={rows} width={width} epochs={epochs} baseline-mib={F(baseline, 0)} peak-mib={F(peak, 0)} peak-reset={reset} encoded-mib={F(encoded, 0)} rss-epoch1-mib={F(epochRss[0], 0)} rss-last-mib={F(epochRss[^1], 0)} epoch-s={F(perEpoch, 3)} fit-s={F(total, 2)} epochs-s={string.Join(',', epochSeconds.Select(s => F(s, 3)))} rss-epochs-mib={string.Join(',', epochRss.Select(r => F(r, 0)))}");
    }

    /// <summary>Fit on a table generated while read, held in memory or streamed as asked: peak RSS and seconds
    /// (the whole Fit, its passes over the data included), with the default thread policy.</summary>
    public static void FitLoading(int rows, int width, int epochs, VaeDataLoading loading)
    {
        var ml = new MLContext(seed: 1);
        var view = Data.VectorView(ml, Data.DenseRows(rows, width, seed: 5, unit: false), width);
        WarmUp(ml);
        var baseline = StatusMiB("VmRSS");
        var reset = ResetPeak();
        var options = new VariationalAutoencoderOptions
        {
            Columns = [nameof(VectorRow.Features)],
            HiddenLayers = Scenarios.TabularHidden,
            LatentDimension = 8,
            Epochs = epochs,
            Seed = 1,
            DataLoading = loading,
        };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var model = ml.Transforms.VariationalAutoencoder(options).Fit(view);
        var total = clock.Elapsed.TotalSeconds;
        var peak = StatusMiB("VmHWM");
        Console.WriteLine($"result rows={rows} width={width} epochs={epochs} loading={loading} baseline-mib={F(baseline, 0)} peak-mib={F(peak, 0)} peak-reset={reset} fit-s={F(total, 2)} rows-per-s={F(rows * (double)epochs / total, 0)} loss={F(model.TrainingHistory[^1].Loss, 3)}");
    }

    /// <summary>Seconds of one Fit on an in-memory table of the given shape (generated before timing), with the thread
    /// policy given (0: the default), after one untimed epoch of the same fit.</summary>
    public static void FitSpeed(int rows, int width, int hidden, int latent, int batch, int epochs, int threads)
    {
        var ml = new MLContext(seed: 1);
        var view = ml.Data.Cache(Data.VectorView(ml, Data.DenseRows(rows, width, seed: 5, unit: true), width));
        VariationalAutoencoderOptions Options(int e) => new()
        {
            Columns = [new VaeColumn(nameof(VectorRow.Features), VaeColumnKind.Binary)],
            HiddenLayers = [hidden],
            LatentDimension = latent,
            BatchSize = batch,
            Epochs = e,
            Seed = 1,
            DataLoading = VaeDataLoading.InMemory,
            NumberOfThreads = threads > 0 ? threads : null,
        };
        ml.Transforms.VariationalAutoencoder(Options(1)).Fit(view).Dispose();
        Settle();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var model = ml.Transforms.VariationalAutoencoder(Options(epochs)).Fit(view);
        var total = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"result rows={rows} width={width} hidden={hidden} batch={batch} threads={threads} fit-s={F(total, 3)} rows-per-s={F(rows * (double)epochs / total, 0)}");
    }

    /// <summary>Generate of many rows from a model of the tabular shape, read to the end: peak RSS and seconds.</summary>
    public static void GenerateMemory(int rows, int width)
    {
        var ml = new MLContext(seed: 1);
        using var model = ml.Transforms.VariationalAutoencoder(new VariationalAutoencoderOptions
        {
            Columns = [nameof(VectorRow.Features)],
            HiddenLayers = Scenarios.TabularHidden,
            LatentDimension = 8,
            Epochs = 1,
            Seed = 1,
        }).Fit(Data.VectorView(ml, Data.DenseRows(2_000, width, seed: 5, unit: false), width));
        Scenarios.Drain(model.Generate(1_000, seed: 1), nameof(VectorRow.Features));
        Settle();
        var baseline = StatusMiB("VmRSS");
        var reset = ResetPeak();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Scenarios.Drain(model.Generate(rows, seed: 2), nameof(VectorRow.Features));
        var seconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"result rows={rows} width={width} baseline-mib={F(baseline, 0)} peak-mib={F(StatusMiB("VmHWM"), 0)} peak-reset={reset} generate-s={F(seconds, 2)}");
    }

    /// <summary>Keeps one core busy until killed.</summary>
    public static void Spin()
    {
        var x = 0.0;
        while (true)
        {
            x = Math.Sqrt(x + 1);
        }
    }

    /// <summary>Transform of a table generated while read: peak RSS and RSS along the way.</summary>
    public static void TransformMemory(int rows, int width)
    {
        var ml = new MLContext(seed: 1);
        using var model = ml.Transforms.VariationalAutoencoder(new VariationalAutoencoderOptions
        {
            Columns = [nameof(VectorRow.Features)],
            HiddenLayers = Scenarios.TabularHidden,
            LatentDimension = 8,
            Epochs = 1,
            Seed = 1,
        }).Fit(Data.VectorView(ml, Data.DenseRows(2_000, width, seed: 5, unit: false), width));
        var view = Data.VectorView(ml, Data.DenseRows(rows, width, seed: 6, unit: false), width);
        Scenarios.Drain(model.Transform(Data.VectorView(ml, Data.DenseRows(1_000, width, seed: 6, unit: false), width)), "Latent");
        Settle();
        var baseline = StatusMiB("VmRSS");
        var reset = ResetPeak();
        var output = model.Transform(view);
        var column = output.Schema["Latent"];
        using var cursor = output.GetRowCursor([column]);
        var getter = cursor.GetGetter<Microsoft.ML.Data.VBuffer<float>>(column);
        Microsoft.ML.Data.VBuffer<float> buffer = default;
        double sum = 0, atTenth = double.NaN;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var count = 0;
        while (cursor.MoveNext())
        {
            getter(ref buffer);
            sum += buffer.GetValues()[0];
            if (++count == rows / 10)
            {
                atTenth = StatusMiB("VmRSS");
            }
        }

        var seconds = clock.Elapsed.TotalSeconds;
        var end = StatusMiB("VmRSS");
        var peak = StatusMiB("VmHWM");
        GC.KeepAlive(sum);
        Console.WriteLine($"result rows={count} width={width} baseline-mib={F(baseline, 0)} peak-mib={F(peak, 0)} peak-reset={reset} rss-tenth-mib={F(atTenth, 0)} rss-end-mib={F(end, 0)} transform-s={F(seconds, 2)}");
    }

    /// <summary>Loads TorchSharp and ML.NET's code before the baseline reading, so the baseline holds the runtime.</summary>
    private static void WarmUp(MLContext ml)
    {
        using var model = ml.Transforms.VariationalAutoencoder(new VariationalAutoencoderOptions
        {
            Columns = [nameof(VectorRow.Features)],
            HiddenLayers = [4],
            LatentDimension = 2,
            Epochs = 1,
            Seed = 1,
        }).Fit(Data.VectorView(ml, Data.DenseRows(64, 3, seed: 1, unit: false), 3));
        Settle();
    }

    private sealed class Recorder(Action<VaeEpochResult> action) : IProgress<VaeEpochResult>
    {
        public void Report(VaeEpochResult value) => action(value);
    }
}
