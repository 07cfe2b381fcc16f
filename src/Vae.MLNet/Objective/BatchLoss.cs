namespace Vae.MLNet.Objective;

/// <summary>One batch's objective as numbers (each a batch mean), and the way to back-propagate it.</summary>
internal sealed class BatchLoss(double total, double[] reconstruction, double[] kl, double beta, Action? backward)
{
    /// <summary>Reconstruction summed over columns plus beta times the (free-bits floored) KL.</summary>
    public double Total { get; } = total;

    /// <summary>Weighted reconstruction loss per column.</summary>
    public double[] Reconstruction { get; } = reconstruction;

    /// <summary>KL(q(z|x) || N(0, I)) per latent dimension, never negative.</summary>
    public double[] Kl { get; } = kl;

    /// <summary>The KL weight in effect.</summary>
    public double Beta { get; } = beta;

    /// <summary>Accumulates the gradient of <see cref="Total"/> into the parameters that produced the batch.</summary>
    public void Backward() =>
        (backward ?? throw new InvalidOperationException("The loss was computed without its gradient."))();
}
