using Microsoft.ML;
using Microsoft.ML.Data;
using Vae.MLNet.Tests.TestData;

namespace Vae.MLNet.Tests.MLNet;

/// <summary>Decoded, reconstructed and generated categories are categories seen at fit: the bucket that takes a text
/// column's unseen and capped values at transform is no value of the data, and is never given back.</summary>
public sealed class DecodedCategoryTests
{
    [Theory]
    [InlineData(100)] // every city learned: the bucket holds no training row
    [InlineData(3)]   // three cities learned: the bucket holds the other three's rows
    public void GenerateDecodeAndReconstructionNeverGiveTheOtherBucket(int maxCategories)
    {
        var ml = new MLContext(seed: 1);
        var data = MixedTable.Load(ml, 200);
        // One epoch: the bucket's logit is still close to the others', so a draw from the softmax would often pick it.
        using var model = ml.Transforms.VariationalAutoencoder(new VariationalAutoencoderOptions
        {
            Columns = ["Income", "City"],
            LatentDimension = 2,
            HiddenLayers = [8],
            Epochs = 1,
            MaxCategories = maxCategories,
            ReconstructedColumnSuffix = "Hat",
        }).Fit(data);
        var seen = model.Columns[1].Categories.SkipLast(1).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(Math.Min(maxCategories, MixedTable.Cities.Length), seen.Count);

        var generated = model.Generate(5000, seed: 3).GetColumn<string>("City").ToArray();
        Assert.All(generated, city => Assert.Contains(city, seen));
        Assert.True(generated.Distinct().Count() > 1);

        var random = new Random(5);
        var points = Enumerable.Range(0, 2000).Select(_ => new[] { (float)(random.NextDouble() * 20) - 10, (float)(random.NextDouble() * 20) - 10 });
        Assert.All(model.Decode(points).GetColumn<string>("City"), city => Assert.Contains(city, seen));

        var unseen = MixedTable.Rows(500, seed: 9).Select(r => { r.City = "Atlantis"; return r; });
        Assert.All(model.Transform(ml.Data.LoadFromEnumerable(unseen)).GetColumn<string>("CityHat"), city => Assert.Contains(city, seen));
    }
}
