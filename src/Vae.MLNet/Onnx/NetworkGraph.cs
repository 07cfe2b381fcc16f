using Vae.MLNet.Model;

namespace Vae.MLNet.Onnx;

/// <summary>The trained network in the graph, as <see cref="VaeInference"/> runs it: the encoder's layers with their
/// activation, the posterior mean and the log-variance clamped to [<see cref="VaeNetwork.LogVarMin"/>,
/// <see cref="VaeNetwork.LogVarMax"/>], and the decoder (no activation after its last layer). Dense layers are
/// MatMul + Add with the weights transposed once, here.</summary>
internal static class NetworkGraph
{
    /// <summary>The posterior heads of the encoder's input: (mean, clamped log-variance), each [rows, latent].</summary>
    public static (string Mean, string LogVariance) Encode(OnnxGraph graph, VaeWeights weights, string input)
    {
        var current = input;
        for (var i = 0; i < weights.Encoder.Length; i++)
        {
            current = Dense(graph, weights.Encoder[i], 0, weights.Encoder[i].Out, current, weights.Activation, $"Encoder{i}");
        }

        var latent = weights.Latent;
        var mean = Dense(graph, weights.Heads, 0, latent, current, null, "Mean");
        var raw = Dense(graph, weights.Heads, latent, latent, current, null, "LogVariance");
        var upper = graph.Op("Min", "LogVariance.Upper", raw, graph.Float((float)VaeNetwork.LogVarMax, "LogVariance.Max"));
        var logVariance = graph.Op("Max", "LogVariance.Clamped", upper, graph.Float((float)VaeNetwork.LogVarMin, "LogVariance.Min"));
        return (mean, logVariance);
    }

    /// <summary>The decoder's outputs for latent points [rows, latent]: predictions for numeric features, logits
    /// otherwise, [rows, encoded width].</summary>
    public static string Decode(OnnxGraph graph, VaeWeights weights, string latent)
    {
        var current = latent;
        for (var i = 0; i < weights.Decoder.Length; i++)
        {
            var layer = weights.Decoder[i];
            var last = i == weights.Decoder.Length - 1;
            current = Dense(graph, layer, 0, layer.Out, current, last ? null : weights.Activation, $"Decoder{i}");
        }

        return current;
    }

    /// <summary>activation(x W[first..first+count]^T + b[first..first+count]).</summary>
    private static string Dense(OnnxGraph graph, DenseLayer layer, int first, int count, string input, VaeActivation? activation, string hint)
    {
        var transposed = new float[layer.In * count];
        for (var o = 0; o < count; o++)
        {
            for (var i = 0; i < layer.In; i++)
            {
                transposed[(i * count) + o] = layer.Weight[((first + o) * layer.In) + i];
            }
        }

        var product = graph.Op("MatMul", hint + ".MatMul", input, graph.Matrix(transposed, layer.In, count, hint + ".Weight"));
        var sum = graph.Op("Add", hint + ".Add", product, graph.Floats(layer.Bias.AsSpan(first, count).ToArray(), hint + ".Bias"));
        return activation switch
        {
            null => sum,
            VaeActivation.Relu => graph.Op("Relu", hint, sum),
            VaeActivation.LeakyRelu => graph.Op("LeakyRelu", hint, [sum], n => n.AddAttribute("alpha", 0.01)),
            VaeActivation.Elu => graph.Op("Elu", hint, [sum], n => n.AddAttribute("alpha", 1.0)),
            VaeActivation.Silu => graph.Op("Mul", hint, sum, graph.Op("Sigmoid", hint + ".Sigmoid", sum)),
            VaeActivation.Tanh => graph.Op("Tanh", hint, sum),
            _ => throw new InvalidOperationException($"The activation {activation} has no ONNX form."),
        };
    }

    /// <summary>Whether every activation has an ONNX form here.</summary>
    public static bool CanExport(VaeWeights weights) => weights.Activation is VaeActivation.Relu or VaeActivation.LeakyRelu
        or VaeActivation.Elu or VaeActivation.Silu or VaeActivation.Tanh;
}
