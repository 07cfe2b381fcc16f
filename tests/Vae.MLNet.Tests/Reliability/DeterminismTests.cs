using System.Diagnostics;
using Microsoft.ML;
using Vae.MLNet.Tests.TestData;
using Vae.MLNet.Tests.Training;
using Xunit.Abstractions;

namespace Vae.MLNet.Tests.Reliability;

/// <summary>Same seed and data give the same weights and outputs in this process and in two fresh ones, whatever
/// the number of CPU threads TorchSharp uses.</summary>
public sealed class DeterminismTests(ITestOutputHelper output) : IDisposable
{
    private static readonly string[] Columns = ["Income", "Age", "Scores", "City", "Member"];
    private readonly string _directory = Directory.CreateTempSubdirectory("vae-mlnet-determinism-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>The options of Vae.MLNet.ProcessCheck's fit mode (dropout and validation included, so that every
    /// source of randomness is covered).</summary>
    private static VariationalAutoencoderOptions Options(int seed) => new()
    {
        Columns = Columns.Select(c => new VaeColumn(c)).ToList(),
        LatentDimension = 3,
        HiddenLayers = [32, 32],
        Epochs = 3,
        BatchSize = 32,
        LearningRate = 3e-3,
        ValidationFraction = 0.2,
        Dropout = 0.1,
        Seed = seed,
    };

    [Fact]
    public void TwoProcessesWithDifferentThreadCountsFitTheSameWeightsAsThisOne()
    {
        var ml = new MLContext(seed: 1);
        var data = MixedTable.Load(ml, 200);
        var dataPath = Path.Combine(_directory, "data.idv");
        using (var stream = File.Create(dataPath))
        {
            ml.Data.SaveAsBinary(data, stream);
        }

        var inProcess = ml.Transforms.VariationalAutoencoder(Options(17)).Fit(data);
        var one = FitInProcessOf(dataPath, "one.zip", threads: 1);
        var two = FitInProcessOf(dataPath, "two.zip", threads: 2);

        var expected = VaeTrainerTests.Flatten(inProcess.Weights);
        Assert.Equal(expected, VaeTrainerTests.Flatten(one.Weights));
        Assert.Equal(expected, VaeTrainerTests.Flatten(two.Weights));
        var latent = RowReader.Vectors(inProcess.Transform(data), "Latent");
        Assert.Equal(latent, RowReader.Vectors(one.Transform(data), "Latent"));
        Assert.Equal(latent, RowReader.Vectors(two.Transform(data), "Latent"));
        Assert.Equal(inProcess.TrainingHistory.Select(h => h.Loss), one.TrainingHistory.Select(h => h.Loss));
    }

    /// <summary>Every random draw of a fit (initialisation, shuffling, sampling, dropout) comes from generators of
    /// its own, so fits running at the same time on other threads cannot change its weights.</summary>
    [Fact]
    public async Task FitsRunningConcurrentlyGiveTheWeightsOfFitsRunAlone()
    {
        var ml = new MLContext(seed: 1);
        var data = MixedTable.Load(ml, 300);
        var seeds = new[] { 21, 22, 23 };
        var alone = seeds.Select(seed => VaeTrainerTests.Flatten(ml.Transforms.VariationalAutoencoder(Options(seed)).Fit(data).Weights)).ToArray();
        using var start = new Barrier(seeds.Length);
        var together = seeds.Select(seed => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait();
            return VaeTrainerTests.Flatten(new MLContext(seed: 1).Transforms.VariationalAutoencoder(Options(seed)).Fit(data).Weights);
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
        var results = await Task.WhenAll(together);
        var withoutDropout = Options(seeds[0]);
        withoutDropout.Dropout = 0;
        Assert.NotEqual(alone[0], VaeTrainerTests.Flatten(ml.Transforms.VariationalAutoencoder(withoutDropout).Fit(data).Weights));
        for (var i = 0; i < seeds.Length; i++)
        {
            Assert.Equal(alone[i], results[i]);
        }
    }

    private VariationalAutoencoderTransformer FitInProcessOf(string dataPath, string name, int threads)
    {
        var model = Path.Combine(_directory, name);
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        var program = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "Vae.MLNet.ProcessCheck", "bin", configuration, "net10.0", "Vae.MLNet.ProcessCheck.dll"));
        var start = new ProcessStartInfo("dotnet", ["exec", program, "fit", dataPath, model, "17", threads.ToString(System.Globalization.CultureInfo.InvariantCulture), .. Columns])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var errorsTask = process.StandardError.ReadToEndAsync();
        var printed = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        output.WriteLine($"{name}: {printed}, {clock.ElapsedMilliseconds} ms");
        Assert.True(process.ExitCode == 0, errorsTask.Result);
        Assert.Equal($"threads={threads}", printed);
        var loaded = new MLContext(seed: 0).Model.Load(model, out _);
        return Assert.IsType<VariationalAutoencoderTransformer>(loaded);
    }
}
