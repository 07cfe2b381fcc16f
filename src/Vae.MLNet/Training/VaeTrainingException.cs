namespace Vae.MLNet;

/// <summary>Training stopped because a loss term or the gradient stopped being a finite number.</summary>
public sealed class VaeTrainingException : InvalidOperationException
{
    internal VaeTrainingException(string term, int epoch, int batch, string message)
        : base(message)
    {
        Term = term;
        Epoch = epoch;
        Batch = batch;
    }

    /// <summary>The term that was not finite: "reconstruction of column 'x'", "KL of latent dimension 3",
    /// "gradient" or "weights".</summary>
    public string Term { get; }

    /// <summary>The epoch, from 1.</summary>
    public int Epoch { get; }

    /// <summary>The batch within the epoch, from 1.</summary>
    public int Batch { get; }
}
