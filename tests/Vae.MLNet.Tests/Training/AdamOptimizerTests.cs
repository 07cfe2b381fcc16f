using Vae.MLNet.Training;
using static TorchSharp.torch;

namespace Vae.MLNet.Tests.Training;

public sealed class AdamOptimizerTests
{
    [Theory]
    [InlineData(0.0)]
    [InlineData(1e-2)]
    public void GivesTorchSharpsAdamWeightsBitForBit(double weightDecay)
    {
        using var scope = NewDisposeScope();
        random.manual_seed(3);
        var reference = nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 2));
        var ours = nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 2));
        ours.load_state_dict(reference.state_dict());
        using var torchAdam = optim.Adam(reference.parameters(), 0.05, weight_decay: weightDecay);
        using var adam = new AdamOptimizer(ours.parameters(), 0.05, weightDecay);
        var initial = reference.parameters().Select(p => p.data<float>().ToArray()).ToArray();
        var x = randn(16, 5);
        var y = randn(16, 2);
        for (var step = 0; step < 25; step++)
        {
            torchAdam.zero_grad();
            (reference.forward(x) - y).square().sum().backward();
            torchAdam.step();
            adam.zero_grad();
            (ours.forward(x) - y).square().sum().backward();
            adam.step();
        }

        var expected = reference.parameters().Select(p => p.data<float>().ToArray()).ToArray();
        var actual = ours.parameters().Select(p => p.data<float>().ToArray()).ToArray();
        Assert.Equal(expected, actual);
        // The weights moved: the comparison is not between two untouched networks.
        Assert.All(Enumerable.Range(0, initial.Length), i => Assert.NotEqual(initial[i], expected[i]));
    }
}
