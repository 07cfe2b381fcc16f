using static TorchSharp.torch;

namespace Vae.MLNet.Tests.Native;

/// <summary>TorchSharp's natives load on this OS (see buildTransitive/Vae.MLNet.targets) and can train.</summary>
public sealed class TorchSharpLoadsTests
{
    [Fact]
    public void TensorOperationRuns()
    {
        using var a = tensor(new float[] { 1, 2, 3 });
        using var b = tensor(new float[] { 4, 5, 6 });
        using var dot = a.dot(b);
        Assert.Equal(32f, dot.item<float>());
    }

    [Fact]
    public void TinyTrainingStepReducesTheLoss()
    {
        random.manual_seed(1);
        using var x = randn(64, 3);
        using var w = tensor(new float[] { 2f, -1f, 0.5f }).reshape(3, 1);
        using var y = x.matmul(w);
        using var layer = nn.Linear(3, 1);
        using var optimizer = optim.SGD(layer.parameters(), 0.1);

        float Loss()
        {
            using var _ = no_grad();
            using var prediction = layer.forward(x);
            using var loss = nn.functional.mse_loss(prediction, y);
            return loss.item<float>();
        }

        var before = Loss();
        for (var step = 0; step < 20; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = nn.functional.mse_loss(layer.forward(x), y);
            loss.backward();
            optimizer.step();
        }

        var after = Loss();
        Assert.True(after < before * 0.1f, $"loss {before} -> {after}");
    }
}
