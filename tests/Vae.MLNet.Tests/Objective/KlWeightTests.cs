using Vae.MLNet.Objective;

namespace Vae.MLNet.Tests.Objective;

public sealed class KlWeightTests
{
    private static KlWeight Make(VaeKlSchedule schedule, double beta = 2.0, bool normalize = false) =>
        new(beta, normalize, schedule, AnnealingEpochs: 10, Cycles: 4, CycleRampFraction: 0.5, TotalEpochs: 40);

    [Theory]
    [InlineData(0.0)]
    [InlineData(3.3)]
    [InlineData(40.0)]
    public void ConstantIsBetaThroughout(double epochs) => Assert.Equal(2.0, Make(VaeKlSchedule.Constant).At(epochs, 10, 2));

    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(2.5, 0.5)]
    [InlineData(5.0, 1.0)]
    [InlineData(10.0, 2.0)]
    [InlineData(25.0, 2.0)]
    public void LinearWarmupRisesToBeta(double epochs, double expected) =>
        Assert.Equal(expected, Make(VaeKlSchedule.LinearWarmup).At(epochs, 10, 2), 12);

    [Fact]
    public void SigmoidFollowsBowmansLogisticCurve()
    {
        var weight = Make(VaeKlSchedule.Sigmoid);
        Assert.Equal(2.0 / (1 + Math.Exp(5)), weight.At(0, 10, 2), 12);  // ~0.013: almost off
        Assert.Equal(1.0, weight.At(5, 10, 2), 12);                      // half way at the centre
        Assert.Equal(2.0 / (1 + Math.Exp(-5)), weight.At(10, 10, 2), 12); // ~1.987: almost on
        Assert.True(weight.At(3, 10, 2) < weight.At(4, 10, 2));
    }

    [Theory]
    [InlineData(0.0, 0.0)]     // start of cycle 1
    [InlineData(2.5, 1.0)]     // half the ramp (ramp = 5 of the cycle's 10 epochs)
    [InlineData(5.0, 2.0)]     // ramp done
    [InlineData(9.9, 2.0)]     // plateau
    [InlineData(10.0, 0.0)]    // cycle 2 restarts
    [InlineData(32.5, 1.0)]    // cycle 4, half the ramp
    public void CyclicalRepeatsRampAndPlateau(double epochs, double expected) =>
        Assert.Equal(expected, Make(VaeKlSchedule.Cyclical).At(epochs, 10, 2), 9);

    [Fact]
    public void BetaNormIsBetaTimesLatentOverInput()
    {
        var weight = Make(VaeKlSchedule.Constant, beta: 4.0, normalize: true);
        Assert.Equal(4.0 * 2 / 784, weight.At(1, inputWidth: 784, latentDimension: 2), 12);
    }
}
