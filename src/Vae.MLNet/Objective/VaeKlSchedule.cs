namespace Vae.MLNet;

/// <summary>How the KL weight changes over training (KL annealing).</summary>
public enum VaeKlSchedule
{
    /// <summary>The KL weight is beta throughout (the default).</summary>
    Constant = 0,

    /// <summary>Rises linearly from 0 to beta over the annealing epochs, then stays (as scvi-tools' warm-up).</summary>
    LinearWarmup,

    /// <summary>Follows a logistic curve from ~0 to beta, centred at half the annealing epochs (Bowman et al.
    /// 2015): beta / (1 + exp(-10 (t - A/2) / A)) at epoch t for A annealing epochs.</summary>
    Sigmoid,

    /// <summary>Repeats a ramp from 0 to beta followed by a plateau at beta, in equal cycles over the whole training
    /// (Fu et al. 2019).</summary>
    Cyclical,
}
