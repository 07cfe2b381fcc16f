using Vae.MLNet.Objective;

namespace Vae.MLNet.Training;

/// <summary>Everything the trainer needs to know, resolved from the user's options.</summary>
internal sealed record TrainingSettings(
    int LatentDimension,
    int[] HiddenLayers,
    VaeActivation Activation,
    double Dropout,
    int Epochs,
    int BatchSize,
    double LearningRate,
    double WeightDecay,
    double GradientClipNorm,
    double ValidationFraction,
    int EarlyStoppingPatience,
    KlWeight KlWeight,
    double FreeBits,
    VaeNumericLoss NumericLoss,
    VaeReconstructionReduction Reduction,
    int Seed,
    double MaskingRate = 0);
