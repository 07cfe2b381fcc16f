using Microsoft.ML;
using Vae.MLNet.Model;
using Vae.MLNet.Tests.TestData;
using Vae.MLNet.Training;
using static TorchSharp.torch;

namespace Vae.MLNet.Tests.Training;

[Collection(SerialCollection.Name)]
public sealed class TensorLeakTests
{
    private static readonly VaeColumn[] Columns = ["Income", "Age", "Scores", "City", "Member"];

    /// <summary>TorchSharp counts one live tensor per <c>nn.Parameter</c> ever made (the source tensor whose handle the
    /// parameter takes over is never uncounted), so even constructing and disposing a module leaves a residue. A fit
    /// must leave exactly that residue: nothing per batch, per epoch, per validation pass or per export.</summary>
    [Fact]
    public void AFitLeavesNoTensorBeyondTorchSharpsParameterAccounting()
    {
        var data = MixedTable.Load(new MLContext(1), 300);
        var (encoding, matrix) = CoreFit.Encode(data, Columns);
        var settings = CoreFit.Settings(epochs: 1);
        VaeTrainer.Train(matrix, encoding, settings, CPU); // lazily created globals

        var start = Settled();
        new VaeNetwork(encoding.Width, settings.HiddenLayers, settings.LatentDimension, settings.Activation, 0, 0).Dispose();
        var moduleResidue = Settled() - start;

        start = Settled();
        VaeTrainer.Train(matrix, encoding, settings with { Epochs = 2 }, CPU);
        var shortFit = Settled() - start;

        start = Settled();
        VaeTrainer.Train(matrix, encoding, settings with { Epochs = 6, ValidationFraction = 0.2 }, CPU);
        var longFit = Settled() - start;

        Assert.Equal(moduleResidue, shortFit);
        Assert.Equal(moduleResidue, longFit);
    }

    /// <summary>The live count once earlier tests' undisposed tensors have been finalized, so their finalizers do not
    /// change the count in the middle of a measurement.</summary>
    private static long Settled()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return Tensor.TotalCount;
    }
}
