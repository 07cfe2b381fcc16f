using Microsoft.ML;
using Vae.MLNet.Internals;

namespace Vae.MLNet.Tests.TestData;

/// <summary>What ML.NET's own estimator tests (<c>TestEstimatorCore</c>) ask of every estimator: the promised output
/// shape is the transformer's real schema; invalid input fails in <c>GetOutputSchema</c>, <c>Fit</c> and the
/// transformer alike; save then load gives the same schema and the same values with all, the even and the odd columns
/// active; the loaded model rejects invalid input too.</summary>
internal static class EstimatorWorkout
{
    public static void Run(MLContext ml, IEstimator<ITransformer> estimator, IDataView data, IDataView invalid)
    {
        var shape = estimator.GetOutputSchema(MLNetInterop.ShapeOf(data.Schema));
        var model = estimator.Fit(data);
        var output = model.Transform(data);
        var real = MLNetInterop.ShapeOf(output.Schema);
        Assert.Equal(shape.Select(c => c.Name).Order(), real.Select(c => c.Name).Order());
        foreach (var promised in shape)
        {
            Assert.True(MLNetInterop.TryFindColumn(real, promised.Name, out var found), promised.Name);
            Assert.True(MLNetInterop.IsCompatibleWith(promised, found), $"'{promised.Name}': promised {promised.ItemType} ({promised.Kind}), got {found.ItemType} ({found.Kind})");
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => estimator.GetOutputSchema(MLNetInterop.ShapeOf(invalid.Schema)));
        Assert.Throws<ArgumentOutOfRangeException>(() => estimator.Fit(invalid));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.GetOutputSchema(invalid.Schema));

        using var stream = new MemoryStream();
        ml.Model.Save(model, data.Schema, stream);
        stream.Position = 0;
        var loaded = ml.Model.Load(stream, out _);
        var again = loaded.Transform(data);
        Assert.Equal(output.Schema.Select(c => (c.Name, c.Type)), again.Schema.Select(c => (c.Name, c.Type)));
        ColumnDump.AssertSame(output, again);

        Assert.Throws<ArgumentOutOfRangeException>(() => loaded.GetOutputSchema(invalid.Schema));
    }
}
