using Microsoft.ML;
using Vae.MLNet.Columns;
using Vae.MLNet.Tests.TestData;
using static TorchSharp.torch;

namespace Vae.MLNet.Tests.MLNet;

/// <summary>Fit sets TorchSharp's thread count for its duration only: the one asked for, or one chosen by the
/// network's size.</summary>
[Collection(SerialCollection.Name)]
public sealed class ThreadPolicyTests
{
    [Theory]
    [InlineData(null, 1)] // a small network: one thread
    [InlineData(2, 2)]
    [InlineData(1, 1)]
    public void FitTrainsWithItsThreadCountAndRestoresTheCallersAfter(int? asked, int during)
    {
        var ml = new MLContext(seed: 1);
        var seen = new List<int>();
        var before = get_num_threads();
        set_num_threads(3);
        try
        {
            using var model = ml.Transforms.VariationalAutoencoder(new VariationalAutoencoderOptions
            {
                Columns = ["Income", "City"],
                LatentDimension = 2,
                HiddenLayers = [8],
                Epochs = 2,
                NumberOfThreads = asked,
                Progress = new Recorder(_ => seen.Add(get_num_threads())),
            }).Fit(MixedTable.Load(ml, 100));
            Assert.Equal([during, during], seen);
            Assert.Equal(3, get_num_threads());
        }
        finally
        {
            set_num_threads(before);
        }
    }

    [Fact]
    public void OverlappingFitsLeaveTheCountTheFirstOneFound()
    {
        var before = get_num_threads();
        set_num_threads(3);
        try
        {
            var first = Vae.MLNet.Training.TorchThreads.Use(1);
            var second = Vae.MLNet.Training.TorchThreads.Use(2);
            Assert.Equal(2, get_num_threads());
            first.Dispose();
            first.Dispose();
            Assert.Equal(2, get_num_threads());
            second.Dispose();
            Assert.Equal(3, get_num_threads());
        }
        finally
        {
            set_num_threads(before);
        }
    }

    [Fact]
    public void TheDefaultIsOneThreadBelowTheThresholdAndEveryCoreAbove()
    {
        static ColumnEncoding Encoding(int width) => new([new EncodedColumn("X", VaeColumnKind.Numeric, 1, new SourceType(ItemKind.Single, default, 0, width), 0, width, new float[width], Enumerable.Repeat(1f, width).ToArray(), [])]);

        // Tabular 100-128-128-8, batch 256: 61,440 weights, 15.7M multiply-adds a batch.
        Assert.Equal(1, VariationalAutoencoderEstimator.DefaultThreads(Encoding(100), [128, 128], 8, 256, cores: 16));

        // MNIST-shaped 784-512-2, batch 128: 805,888 weights, 103M multiply-adds a batch.
        Assert.Equal(1, VariationalAutoencoderEstimator.DefaultThreads(Encoding(784), [512], 2, 128, cores: 16));

        // 784-2048-16, batch 512: 3.31M weights, 1.69G multiply-adds a batch; 0.98G at batch 296.
        Assert.Equal(16, VariationalAutoencoderEstimator.DefaultThreads(Encoding(784), [2048], 16, 512, cores: 16));
        Assert.Equal(1, VariationalAutoencoderEstimator.DefaultThreads(Encoding(784), [2048], 16, 296, cores: 16));
    }

    private sealed class Recorder(Action<VaeEpochResult> action) : IProgress<VaeEpochResult>
    {
        public void Report(VaeEpochResult value) => action(value);
    }
}
