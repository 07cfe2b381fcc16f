using Microsoft.ML;
using Microsoft.ML.Data;
using Vae.MLNet.Tests.TestData;
using Xunit.Abstractions;

namespace Vae.MLNet.Tests.Onnx;

/// <summary>The decoder exported for generation: latent points in, rows in the original types out, as
/// <c>Decode</c> gives them.</summary>
public sealed class DecoderExportTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(VaeNumericEncoding.Standardize)]
    [InlineData(VaeNumericEncoding.ModeSpecific)]
    public void TheExportedDecoderGivesDecodedRowsInTheOriginalTypes(VaeNumericEncoding encoding)
    {
        var ml = new MLContext(seed: 8);
        var (_, holed) = IncompleteTable.Rows(300, missing: 0.1);
        var options = IncompleteTable.Options();
        options.NumericEncoding = encoding;
        options.Epochs = 3;
        var model = ml.Transforms.VariationalAutoencoder(options).Fit(IncompleteTable.Load(ml, holed));

        // Points from the prior and far outside it.
        var random = new Random(9);
        var points = Enumerable.Range(0, 300).Select(i => new Point { Latent = [(float)(MixedTable.Gaussian(random) * (i < 10 ? 30 : 1)), (float)MixedTable.Gaussian(random)] }).ToList();
        var schema = SchemaDefinition.Create(typeof(Point));
        schema["Latent"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 2);
        var view = ml.Data.LoadFromEnumerable(points, schema);
        var decoder = model.CreateDecoder();

        // The decoder's own Transform is Decode.
        var decoded = decoder.Transform(view);
        Assert.Equal(model.Decode(points.Select(p => p.Latent)).GetColumn<string>("City"), decoded.GetColumn<string>("City"));

        var columns = new[] { "A", "B", "City", "Segment", "Flag" };
        var worst = OnnxAgreement.AssertAgrees(ml, decoder, view, columns);
        output.WriteLine($"largest relative difference {worst:G3}");
        Assert.True(decoded.Schema["Segment"].Type is KeyDataViewType);
        Assert.True(OnnxAgreement.Run(OnnxAgreement.Export(ml, decoder, view), view)["City"].Select(v => (string)v[0]).Distinct().Count() > 1);
    }

    [Fact]
    public void TheDecoderRejectsALatentColumnOfTheWrongShapeNamingIt()
    {
        var ml = new MLContext(seed: 10);
        var fixture = ml.Transforms.VariationalAutoencoder(new VariationalAutoencoderOptions { Columns = ["Income"], LatentDimension = 3, Epochs = 1, HiddenLayers = [4] })
            .Fit(MixedTable.Load(ml, 50));
        var schema = SchemaDefinition.Create(typeof(Point));
        schema["Latent"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 2);
        var view = ml.Data.LoadFromEnumerable([new Point { Latent = [0f, 0f] }], schema);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => fixture.CreateDecoder().Transform(view));
        Assert.Contains("'Latent'", error.Message);
        Assert.Contains("3 floats", error.Message);
        Assert.Contains("'Z'", Assert.Throws<ArgumentOutOfRangeException>(() => fixture.CreateDecoder("Z").Transform(view)).Message);
    }

    public sealed class Point
    {
        public float[] Latent { get; set; } = [];
    }
}
