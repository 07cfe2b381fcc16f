using TorchSharp;

namespace Vae.MLNet.Objective;

/// <summary>Constant scalars of the training step (both forms of the objective), held for the life of the process. A temporary TorchSharp scalar
/// (a number converted implicitly, or the alpha of 1 that <c>a + b</c> and <c>add(b)</c> pass) is unreferenced while
/// native code reads it, and a garbage collection at that moment can let its finalizer free it in use; these never
/// are.</summary>
internal static class TorchScalars
{
    public static readonly Scalar Zero = 0.ToScalar();

    public static readonly Scalar One = 1.ToScalar();

    public static readonly Scalar Half = 0.5.ToScalar();

    public static readonly Scalar NumericLogVarMin = LossKernels.NumericLogVarMin.ToScalar();

    public static readonly Scalar NumericLogVarMax = LossKernels.NumericLogVarMax.ToScalar();

    /// <summary>log(2 pi), the constant of the Gaussian log-density.</summary>
    public static readonly Scalar Log2Pi = LossKernels.Log2Pi.ToScalar();

    /// <summary>The logit of a padded position in a categorical group: no probability.</summary>
    public static readonly Scalar PaddingLogit = (-1e9f).ToScalar();
}
