using Microsoft.ML;
using Microsoft.ML.Data;

namespace Vae.MLNet.Tests.Reliability;

/// <summary>Values near the float limits: whatever a column held at fit, no decoded, reconstructed, imputed or
/// generated value is infinite.</summary>
public sealed class ExtremeValueTests
{
    public sealed class Row
    {
        public float Huge { get; set; }

        public float Plain { get; set; }

        public string Group { get; set; } = string.Empty;
    }

    [Fact]
    public void AColumnNearFloatMaxValueDecodesReconstructsAndGeneratesFiniteValues()
    {
        var ml = new MLContext(seed: 1);
        var random = new Random(3);
        var rows = Enumerable.Range(0, 400).Select(i => new Row
        {
            Huge = (i % 2 == 0 ? 1 : -1) * float.MaxValue * (float)(0.5 + (0.5 * random.NextDouble())),
            Plain = (float)random.NextDouble(),
            Group = i % 2 == 0 ? "up" : "down",
        }).ToList();
        rows[0].Huge = float.MaxValue;
        rows[1].Huge = -float.MaxValue;
        var data = ml.Data.LoadFromEnumerable(rows);
        using var model = ml.Transforms.VariationalAutoencoder(new VariationalAutoencoderOptions
        {
            Columns = ["Huge", "Plain", "Group"],
            LatentDimension = 2,
            HiddenLayers = [16],
            Epochs = 5,
            ReconstructedColumnSuffix = "Hat",
        }).Fit(data);

        var points = new List<float[]>();
        for (var a = -50f; a <= 50f; a += 2.5f)
        {
            points.Add([a, -a]);
            points.Add([a * 1e3f, a]);
        }

        var decoded = model.Decode(points).GetColumn<float>("Huge").ToArray();
        Assert.All(decoded, v => Assert.True(float.IsFinite(v), $"decoded {v}"));
        Assert.All(decoded, v => Assert.InRange(v, -float.MaxValue, float.MaxValue));
        Assert.All(model.Transform(data).GetColumn<float>("HugeHat"), v => Assert.True(float.IsFinite(v), $"reconstructed {v}"));
        Assert.All(model.Generate(2000, seed: 1).GetColumn<float>("Huge"), v => Assert.True(float.IsFinite(v), $"generated {v}"));
    }

    [Fact]
    public void ALatentPointThatIsNotFiniteIsRejectedNamingThePoint()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Enumerable.Range(0, 50).Select(i => new Row { Huge = i, Plain = i % 3, Group = "g" + (i % 2) }));
        using var model = ml.Transforms.VariationalAutoencoder("Latent", ["Huge", "Plain", "Group"], latentDimension: 2).Fit(data);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => model.Decode([[0, 0], [float.NaN, 1]]));
        Assert.Contains("Latent point 1", error.Message);
        error = Assert.Throws<ArgumentOutOfRangeException>(() => model.Decode([[0, float.PositiveInfinity]]));
        Assert.Contains("Latent point 0", error.Message);
    }
}
