using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Vae.MLNet.Benchmarks;

/// <summary>Reconstruction loss of the bare loop: one loss over the whole encoded width.</summary>
internal enum BareLoss
{
    /// <summary>Binary cross-entropy with logits, summed over features.</summary>
    BinaryCrossEntropy,

    /// <summary>Squared error, summed over features.</summary>
    SquaredError,
}

/// <summary>The reference: the same VAE (MLP encoder with ReLU, mu and log-variance heads, mirrored decoder) trained
/// the way one writes it by hand in TorchSharp. Data already in one tensor, Adam with the library's learning rate and
/// weight decay, gradient clipping at the library's default norm, one dispose scope per batch, and the loss read
/// once per batch as any training loop does to report it.</summary>
internal static class BareLoop
{
    public const double LearningRate = 1e-3, WeightDecay = 1e-5, ClipNorm = 5;

    /// <summary>Trains for <paramref name="epochs"/> epochs on <paramref name="data"/> (rows x width); returns the last
    /// epoch's mean loss.</summary>
    public static double Train(Tensor data, int[] hidden, int latent, int batchSize, int epochs, BareLoss loss, int seed, Func<Tensor, Tensor, Tensor, Tensor, Tensor>? objective = null)
    {
        using var outer = NewDisposeScope();
        var rows = (int)data.shape[0];
        var width = (int)data.shape[1];
        random.manual_seed(seed);
        using var model = new Vae(width, hidden, latent);
        using var generator = new Generator((ulong)seed);
        using var optimizer = optim.Adam(model.parameters(), LearningRate, weight_decay: WeightDecay);
        var batches = (rows + batchSize - 1) / batchSize;
        double epochLoss = 0;
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            model.train();
            using var permutation = randperm(rows, generator: generator);
            epochLoss = 0;
            for (var b = 0; b < batches; b++)
            {
                using var scope = NewDisposeScope();
                var start = b * batchSize;
                var count = Math.Min(batchSize, rows - start);
                var x = data.index_select(0, permutation.narrow(0, start, count));
                var h = model.Encoder.forward(x);
                var mu = model.Mu.forward(h);
                var logVar = model.LogVar.forward(h).clamp(-20, 10);
                var z = mu + ((0.5 * logVar).exp() * randn(mu.shape, generator: generator));
                var output = model.Decoder.forward(z);
                var total = objective is not null ? objective(output, x, mu, logVar) : Loss(output, x, mu, logVar, loss);
                optimizer.zero_grad();
                total.backward();
                nn.utils.clip_grad_norm_(model.parameters(), ClipNorm);
                optimizer.step();
                epochLoss += total.item<float>() * count;
            }
        }

        return epochLoss / rows;
    }

    private static Tensor Loss(Tensor output, Tensor x, Tensor mu, Tensor logVar, BareLoss loss)
    {
        var reconstruction = loss == BareLoss.BinaryCrossEntropy
            ? nn.functional.binary_cross_entropy_with_logits(output, x, reduction: nn.Reduction.None).sum(1).mean()
            : (output - x).square().sum(1).mean();
        var kl = (0.5 * (mu.square() + logVar.exp() - 1 - logVar)).sum(1).mean();
        return reconstruction + kl;
    }

    private sealed class Vae : nn.Module
    {
        public Vae(int width, int[] hidden, int latent)
            : base("BareVae")
        {
            encoder = Stack(width, hidden);
            var last = hidden.Length == 0 ? width : hidden[^1];
            mu = nn.Linear(last, latent);
            logvar = nn.Linear(last, latent);
            var reversed = hidden.Reverse().ToArray();
            decoder = Stack(latent, reversed);
            decoder.append(nn.Linear(reversed.Length == 0 ? latent : reversed[^1], width));
            RegisterComponents();
        }

        private readonly Sequential encoder;
        private readonly Linear mu;
        private readonly Linear logvar;
        private readonly Sequential decoder;

        public Sequential Encoder => encoder;

        public Linear Mu => mu;

        public Linear LogVar => logvar;

        public Sequential Decoder => decoder;

        private static Sequential Stack(int input, int[] sizes)
        {
            var stack = nn.Sequential();
            foreach (var size in sizes)
            {
                stack.append(nn.Linear(input, size));
                stack.append(nn.ReLU());
                input = size;
            }

            return stack;
        }
    }
}
