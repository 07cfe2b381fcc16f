using Vae.MLNet.Model;

namespace Vae.MLNet.Training;

/// <summary>The trained model: its weights as managed arrays and the per-epoch history.</summary>
internal sealed record TrainingResult(VaeWeights Weights, IReadOnlyList<VaeEpochResult> History);
