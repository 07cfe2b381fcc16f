using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Vae.MLNet.Model;
using Vae.MLNet.Tests.TestData;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Vae.MLNet.Tests.Reliability;

/// <summary>Live TorchSharp tensors and process memory around repeated fits, cancelled fits and single-row
/// predictions. TorchSharp counts one live tensor per <c>nn.Parameter</c> ever made (see
/// <see cref="Training.TensorLeakTests"/>), so a fit's allowed residue is that of building the same network.</summary>
[Collection(SerialCollection.Name)]
public sealed class LeakTests(ITestOutputHelper output)
{
    private const int Fits = 20;

    private static VariationalAutoencoderOptions Options(int epochs) => new()
    {
        Columns = ["Income", "Age", "Scores", "City", "Member"],
        LatentDimension = 4,
        HiddenLayers = [512, 512],
        Epochs = epochs,
        BatchSize = 100,
        ScoreColumnName = "Score",
    };

    [Fact]
    public void TwentyFitsLeaveOnlyParameterResidueAndFlatMemory()
    {
        var ml = new MLContext(seed: 1);
        var data = MixedTable.Load(ml, 300);
        ml.Transforms.VariationalAutoencoder(Options(1)).Fit(data); // lazily created globals, JIT
        var residue = ModuleResidue(width: 12, [512, 512], latent: 4);

        var tensors = Settled();
        var (managed, workingSet) = Memory();
        var (managedAt5, workingSetAt5) = (0L, 0L);
        for (var i = 1; i <= Fits; i++)
        {
            var model = ml.Transforms.VariationalAutoencoder(Options(1)).Fit(data);
            Assert.Equal(300, RowReader.Scalars(model.Transform(data), "Score").Length);
            if (i == 5)
            {
                (managedAt5, workingSetAt5) = Memory();
            }
        }

        var tensorGrowth = Settled() - tensors;
        var (managedEnd, workingSetEnd) = Memory();
        output.WriteLine($"{Fits} fits: tensor count +{tensorGrowth} (parameter residue {residue} per fit); managed {Mb(managed)} -> {Mb(managedAt5)} (fit 5) -> {Mb(managedEnd)} MB; working set {Mb(workingSet)} -> {Mb(workingSetAt5)} (fit 5) -> {Mb(workingSetEnd)} MB");
        Assert.Equal(Fits * residue, tensorGrowth);
        // One fit of this 512 x 512 network holds about 5 MB of parameters, gradients and Adam state: fifteen fits
        // leaking it would add 75 MB. Nothing of a fit may stay reachable once its model is dropped.
        Assert.InRange(managedEnd - managedAt5, long.MinValue, 2L << 20);
        Assert.InRange(workingSetEnd - workingSetAt5, long.MinValue, 40L << 20);
    }

    [Fact]
    public void CancellingAFitMidEpochThrowsWithinABatchAndLeavesOnlyParameterResidue()
    {
        var ml = new MLContext(seed: 1);
        var data = MixedTable.Load(ml, 2000);
        var options = Options(1000);
        options.BatchSize = 16;
        ml.Transforms.VariationalAutoencoder(Options(1)).Fit(data);
        var residue = ModuleResidue(width: 12, [512, 512], latent: 4);

        var before = Settled();
        using var cancellation = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();
        var cancelledAt = TimeSpan.Zero;
        var epochs = 0;
        options.Progress = new SynchronousProgress(_ => epochs++);
        using var registration = cancellation.Token.Register(() => cancelledAt = clock.Elapsed);
        cancellation.CancelAfter(TimeSpan.FromMilliseconds(700));
        Assert.ThrowsAny<OperationCanceledException>(() => ml.Transforms.VariationalAutoencoder(options).Fit(data, cancellation.Token));
        var stopped = clock.Elapsed - cancelledAt;
        output.WriteLine($"cancelled after {cancelledAt.TotalMilliseconds:F0} ms ({epochs} epochs done); Fit threw {stopped.TotalMilliseconds:F1} ms later");
        // A batch takes about a millisecond; the bound leaves room for a loaded machine. That no batch runs after the
        // one in progress is shown exactly by TrainingFaultTests.CancellationMidEpochStopsBeforeTheNextBatch.
        Assert.True(stopped < TimeSpan.FromSeconds(2), $"Fit threw {stopped.TotalMilliseconds} ms after cancellation");
        Assert.True(epochs < 1000);
        Assert.Equal(residue, Settled() - before);
    }

    [Fact]
    public void TenThousandSingleRowPredictionsAllocateNothingThatStays()
    {
        var ml = new MLContext(seed: 1);
        var model = ml.Transforms.VariationalAutoencoder(Options(2)).Fit(MixedTable.Load(ml, 300));
        var rows = MixedTable.Rows(10_000, seed: 5);
        using var engine = ml.Model.CreatePredictionEngine<MixedRow, Prediction>(model);
        var prediction = new Prediction();
        for (var i = 0; i < 1_000; i++)
        {
            engine.Predict(rows[i], ref prediction);
        }

        var tensors = Settled();
        var (managed, workingSet) = Memory();
        double sum = 0;
        foreach (var row in rows)
        {
            engine.Predict(row, ref prediction);
            sum += prediction.Score;
        }

        var (managedEnd, workingSetEnd) = Memory();
        output.WriteLine($"10,000 predictions: managed {Mb(managed)} -> {Mb(managedEnd)} MB, working set {Mb(workingSet)} -> {Mb(workingSetEnd)} MB");
        Assert.True(double.IsFinite(sum));
        Assert.Equal(tensors, Settled());
        // 64 bytes kept per row would be 640 KB.
        Assert.InRange(managedEnd - managed, long.MinValue, 256L << 10);
        Assert.InRange(workingSetEnd - workingSet, long.MinValue, 16L << 20);
    }

    internal static long ModuleResidue(int width, int[] hidden, int latent)
    {
        var start = Settled();
        new VaeNetwork(width, hidden, latent, VaeActivation.Relu, 0, 0).Dispose();
        return Settled() - start;
    }

    internal static long Settled()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return Tensor.TotalCount;
    }

    internal static (long Managed, long WorkingSet) Memory()
    {
        Settled();
        var managed = GC.GetTotalMemory(forceFullCollection: true);
        using var process = Process.GetCurrentProcess();
        return (managed, process.WorkingSet64);
    }

    internal static string Mb(long bytes) => (bytes / 1048576.0).ToString("F1", System.Globalization.CultureInfo.InvariantCulture);

    private sealed class SynchronousProgress(Action<VaeEpochResult> report) : IProgress<VaeEpochResult>
    {
        public void Report(VaeEpochResult value) => report(value);
    }

    private sealed class Prediction
    {
        [VectorType(4)]
        public float[] Latent { get; set; } = [];

        public float Score { get; set; }
    }
}
