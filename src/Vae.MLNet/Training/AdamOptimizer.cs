using TorchSharp;
using TorchSharp.Modules;
using Vae.MLNet.Objective;
using static TorchSharp.torch;

namespace Vae.MLNet.Training;

/// <summary>Adam (Kingma and Ba 2015) with L2 weight decay, the same arithmetic in the same order as TorchSharp's
/// <c>optim.Adam</c> (a fit gives the same weights with either), but holding every <see cref="Scalar"/> it passes to
/// native code until the call has returned. TorchSharp's optimizer converts its coefficients to temporary scalars
/// that nothing references during the native call; a garbage collection at that moment lets the finalizer free a
/// scalar still in use, which surfaced as "Unknown scalar type" in <c>div</c> after hundreds of thousands of steps.</summary>
internal sealed class AdamOptimizer : IDisposable
{
    private readonly Parameter[] _parameters;
    private readonly Tensor[] _firstMoments;
    private readonly Tensor[] _secondMoments;
    private readonly double _learningRate;
    private readonly double _beta1;
    private readonly double _beta2;
    private readonly Scalar _beta1Scalar;
    private readonly Scalar _beta2Scalar;
    private readonly Scalar _oneMinusBeta1;
    private readonly Scalar _oneMinusBeta2;
    private readonly Scalar _epsilon;
    private readonly Scalar? _weightDecay;
    private long _step;

    public AdamOptimizer(IEnumerable<Parameter> parameters, double learningRate, double weightDecay, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8)
    {
        _parameters = parameters.ToArray();
        _learningRate = learningRate;
        _beta1 = beta1;
        _beta2 = beta2;
        _beta1Scalar = beta1.ToScalar();
        _beta2Scalar = beta2.ToScalar();
        _oneMinusBeta1 = (1 - beta1).ToScalar();
        _oneMinusBeta2 = (1 - beta2).ToScalar();
        _epsilon = epsilon.ToScalar();
        _weightDecay = weightDecay != 0 ? weightDecay.ToScalar() : null;
        using (no_grad())
        {
            _firstMoments = _parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
            _secondMoments = _parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
        }
    }

    public void zero_grad()
    {
        foreach (var p in _parameters)
        {
            p.grad?.zero_();
        }
    }

    /// <summary>One update of every parameter that has a gradient.</summary>
    public void step()
    {
        _step++;
        var biasCorrection1 = 1 - Math.Pow(_beta1, _step);
        var biasCorrection2 = 1 - Math.Pow(_beta2, _step);
        using var sqrtBiasCorrection2 = Math.Sqrt(biasCorrection2).ToScalar();
        using var stepSize = (-(_learningRate / biasCorrection1)).ToScalar();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        for (var i = 0; i < _parameters.Length; i++)
        {
            var parameter = _parameters[i];
            var grad = parameter.grad;
            if (grad is null)
            {
                continue;
            }

            if (_weightDecay is not null)
            {
                grad = grad.add(parameter, alpha: _weightDecay);
            }

            _firstMoments[i].mul_(_beta1Scalar).add_(grad, alpha: _oneMinusBeta1);
            _secondMoments[i].mul_(_beta2Scalar).addcmul_(grad, grad.conj(), value: _oneMinusBeta2);
            var denominator = _secondMoments[i].sqrt().div(sqrtBiasCorrection2).add_(_epsilon, TorchScalars.One);
            parameter.addcdiv_(_firstMoments[i], denominator, value: stepSize);
        }
    }

    public void Dispose()
    {
        foreach (var t in _firstMoments.Concat(_secondMoments))
        {
            t.Dispose();
        }

        foreach (var s in new[] { _beta1Scalar, _beta2Scalar, _oneMinusBeta1, _oneMinusBeta2, _epsilon, _weightDecay })
        {
            s?.Dispose();
        }
    }
}
