using Microsoft.ML;
using Microsoft.ML.Data;
using Vae.MLNet.Tests.TestData;

namespace Vae.MLNet.Tests.Reliability;

/// <summary>One fitted model shared by four threads: batched transforms of the same data, and one prediction engine
/// per thread, all at once, give the single-threaded results bit for bit.</summary>
public sealed class ConcurrencyTests(TrainedModelFixture fixture) : IClassFixture<TrainedModelFixture>
{
    private const int Threads = 4;

    [Fact]
    public void FourThreadsTransformingTheSameDataAtOnceGetTheSingleThreadedResults()
    {
        // 2,000 rows: several batches per cursor, and batches large enough for the kernels' own parallel loop.
        var data = MixedTable.Load(fixture.Ml, 2000, seed: 11);
        var expected = Read(fixture.Model.Transform(data));
        using var start = new Barrier(Threads);
        var results = RunTogether(start, () =>
        {
            var rounds = new List<(float[][], float[][], float[])>();
            for (var round = 0; round < 3; round++)
            {
                rounds.Add(Read(fixture.Model.Transform(data)));
            }

            return rounds;
        });

        foreach (var rounds in results)
        {
            foreach (var (latent, logVar, score) in rounds)
            {
                Assert.Equal(expected.Latent, latent);
                Assert.Equal(expected.LogVar, logVar);
                Assert.Equal(expected.Score, score);
            }
        }
    }

    [Fact]
    public void OnePredictionEnginePerThreadGivesTheSingleThreadedResults()
    {
        var rows = MixedTable.Rows(1000, seed: 12);
        var expected = Read(fixture.Model.Transform(fixture.Ml.Data.LoadFromEnumerable(rows)));
        using var start = new Barrier(Threads);
        var results = RunTogether(start, () =>
        {
            using var engine = fixture.Ml.Model.CreatePredictionEngine<MixedRow, Prediction>(fixture.Model);
            return rows.Select(r => engine.Predict(r)).ToArray();
        });

        foreach (var predictions in results)
        {
            Assert.Equal(expected.Latent, predictions.Select(p => p.Latent));
            Assert.Equal(expected.LogVar, predictions.Select(p => p.LogVar));
            Assert.Equal(expected.Score, predictions.Select(p => p.Score));
        }
    }

    /// <summary>Runs the work on <see cref="Threads"/> dedicated threads released together; exceptions propagate.</summary>
    private static T[] RunTogether<T>(Barrier start, Func<T> work)
    {
        var tasks = Enumerable.Range(0, Threads).Select(_ => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait();
            return work();
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
        return Task.WhenAll(tasks).GetAwaiter().GetResult();
    }

    private static (float[][] Latent, float[][] LogVar, float[] Score) Read(IDataView output) =>
        (RowReader.Vectors(output, "Latent"), RowReader.Vectors(output, "LogVar"), RowReader.Scalars(output, "Score"));

    private sealed class Prediction
    {
        [VectorType(3)]
        public float[] Latent { get; set; } = [];

        [VectorType(3)]
        public float[] LogVar { get; set; } = [];

        public float Score { get; set; }
    }
}
