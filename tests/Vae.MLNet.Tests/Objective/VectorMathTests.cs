using System.Runtime.Intrinsics;
using Vae.MLNet.Objective;

namespace Vae.MLNet.Tests.Objective;

public sealed class VectorMathTests
{
    [Fact]
    public void ExpMatchesMathExpToAFewUlpsAndFlushesTheExtremes()
    {
        for (var x = -87.0; x <= 88.0; x += 0.0137)
        {
            var lanes = Vector256.Create((float)x, (float)(x / 3), (float)(-x / 7), 0f, 1e-8f, -1e-8f, (float)(x / 100), 1f);
            var result = VectorMath.Exp(lanes);
            for (var i = 0; i < 8; i++)
            {
                var expected = Math.Exp(lanes[i]);
                Assert.True(Math.Abs(result[i] - expected) <= 4e-7 * expected, $"exp({lanes[i]}) = {result[i]}, expected {expected}");
            }
        }

        var extremes = VectorMath.Exp(Vector256.Create(-1000f, -90f, 89f, 1000f, float.NegativeInfinity, float.PositiveInfinity, 0f, 0f));
        Assert.Equal([0f, 0f, float.PositiveInfinity, float.PositiveInfinity, 0f, float.PositiveInfinity, 1f, 1f], Enumerable.Range(0, 8).Select(i => extremes[i]));
    }

    [Fact]
    public void Log1pUnitMatchesMathLogOnTheUnitInterval()
    {
        for (var e = 0.0; e <= 1.0; e += 0.0001)
        {
            var result = VectorMath.Log1pUnit(Vector256.Create((float)e));
            var expected = Math.Log(1.0 + (float)e);
            Assert.True(Math.Abs(result[0] - expected) <= 4e-7 * Math.Max(expected, 1e-30) + 1e-12, $"log1p({e}) = {result[0]}, expected {expected}");
        }
    }
}
