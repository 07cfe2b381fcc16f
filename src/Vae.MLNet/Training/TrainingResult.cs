using System.Diagnostics;
using TorchSharp;
using Vae.MLNet.Columns;
using Vae.MLNet.Model;
using Vae.MLNet.Objective;
using static TorchSharp.torch;

namespace Vae.MLNet.Training;

/// <summary>The trained model: its weights as managed arrays and the per-epoch history.</summary>
internal sealed record TrainingResult(VaeWeights Weights, IReadOnlyList<VaeEpochResult> History);
