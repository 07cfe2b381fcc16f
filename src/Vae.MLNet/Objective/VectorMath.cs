using System.Runtime.Intrinsics;

namespace Vae.MLNet.Objective;

/// <summary>Single-precision exp and log1p on eight lanes, for the managed objective: a few multiply-adds each
/// (Cephes' polynomials), several times faster here than <see cref="Vector256.Exp(Vector256{float})"/>, which
/// computes in double precision. Accurate to a few units in the last place.</summary>
internal static class VectorMath
{
    private static readonly Vector256<float> ExpHigh = Vector256.Create(88.3762626647949f);
    private static readonly Vector256<float> ExpLow = Vector256.Create(-88.3762626647949f);
    private static readonly Vector256<float> Log2E = Vector256.Create(1.44269504088896341f);
    private static readonly Vector256<float> Ln2High = Vector256.Create(0.693359375f);
    private static readonly Vector256<float> Ln2Low = Vector256.Create(-2.12194440e-4f);
    private static readonly Vector256<float> Half = Vector256.Create(0.5f);
    private static readonly Vector256<float> One = Vector256<float>.One;

    /// <summary>e^x per lane; 0 below about -87.3 (no subnormal results), +inf above about 88.4.</summary>
    public static Vector256<float> Exp(Vector256<float> x)
    {
        var overflow = Vector256.GreaterThan(x, ExpHigh);
        x = Vector256.Max(Vector256.Min(x, ExpHigh), ExpLow);

        // x = n ln2 + r with |r| <= ln2 / 2; e^x = 2^n e^r.
        var n = Vector256.Floor((x * Log2E) + Half);
        var r = x - (n * Ln2High) - (n * Ln2Low);
        var r2 = r * r;
        var p = Vector256.Create(1.9875691500e-4f);
        p = (p * r) + Vector256.Create(1.3981999507e-3f);
        p = (p * r) + Vector256.Create(8.3334519073e-3f);
        p = (p * r) + Vector256.Create(4.1665795894e-2f);
        p = (p * r) + Vector256.Create(1.6666665459e-1f);
        p = (p * r) + Half;
        p = (p * r2) + r + One;

        // 2^n from the exponent bits; n = -127 gives the bit pattern of 0.
        var scale = (Vector256.ConvertToInt32(n) + Vector256.Create(127)) << 23;
        var result = p * scale.AsSingle();
        return Vector256.ConditionalSelect(overflow, Vector256.Create(float.PositiveInfinity), result);
    }

    /// <summary>ln(1 + e) per lane for e in [0, 1]: with t = e / (2 + e) in [0, 1/3],
    /// ln(1 + e) = 2 (t + t^3/3 + t^5/5 + ... + t^13/13).</summary>
    public static Vector256<float> Log1pUnit(Vector256<float> e)
    {
        var t = e / (Vector256.Create(2f) + e);
        var t2 = t * t;
        var p = Vector256.Create(1f / 13);
        p = (p * t2) + Vector256.Create(1f / 11);
        p = (p * t2) + Vector256.Create(1f / 9);
        p = (p * t2) + Vector256.Create(1f / 7);
        p = (p * t2) + Vector256.Create(1f / 5);
        p = (p * t2) + Vector256.Create(1f / 3);
        p = (p * t2) + One;
        return (t + t) * p;
    }
}
