using System.Diagnostics;
using Microsoft.ML;
using Vae.MLNet.Columns;
using Vae.MLNet.Objective;
using static TorchSharp.torch;
using static Vae.MLNet.Benchmarks.Harness;

namespace Vae.MLNet.Benchmarks;

/// <summary>Processor time of the objective's forward and backward passes alone on one batch of the Adult-shaped
/// table, against one squared error over the same width, step by step for the categorical part.</summary>
internal static class ObjectiveProbe
{
    public static void Run(int iterations)
    {
        var ml = new MLContext(seed: 1);
        var view = ml.Data.LoadFromEnumerable(Data.AdultRows(2_000, seed: 3).ToList());
        VaeColumn[] columns = [
            .. Data.AdultNumeric.Select(n => new VaeColumn(n, VaeColumnKind.Numeric)),
            .. Data.AdultCategorical.Select(n => new VaeColumn(n, VaeColumnKind.Categorical))];
        var encoding = ColumnEncodingFitter.Fit(view, ColumnResolver.Resolve(view.Schema, columns, "c"), 100);
        var matrix = ColumnEncodingFitter.Encode(view, encoding);
        using var layout = new LossLayout(encoding, VaeReconstructionReduction.Sum, CPU);
        using var all = tensor(matrix.Values, [matrix.Rows, matrix.Width]);
        using var target = all.narrow(0, 0, 256).contiguous();
        using var output = randn(256, matrix.Width).requires_grad_(true);
        using var mu = randn(256, 8).requires_grad_(true);
        using var logVar = randn(256, 8).requires_grad_(true);
        var group = layout.Categorical[0];
        Console.WriteLine($"  probe: {layout.Categorical.Count} categorical group(s), first {group.Count} x {group.MaxWidth}");
        void Step(string name, Action forwardBackward)
        {
            for (var i = 0; i < 50; i++)
            {
                using var s = NewDisposeScope();
                forwardBackward();
            }

            var cpu = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
            for (var i = 0; i < iterations; i++)
            {
                using var s = NewDisposeScope();
                forwardBackward();
            }

            var us = (Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds - cpu) / iterations * 1e6;
            Console.WriteLine($"  probe {name}: {F(us, 0)} us per forward+backward");
        }

        using var managed = new ManagedObjective(encoding, VaeReconstructionReduction.Sum);
        Step("squared error over the width", () => ((output - target).square().sum(1).mean() + (0.5 * (mu.square() + logVar.exp() - 1 - logVar)).sum(1).mean()).backward());
        Step("objective, tensor form", () => VaeObjective.Compute(output, target, mu, logVar, layout, 1, 0).Total.backward());
        Step("objective, managed (training on the CPU)", () => managed.Compute(output, target, mu, logVar, null, 1, 0, withGradient: true).Backward());
        Step("objective, managed, loss alone", () => managed.Compute(output, target, mu, logVar, null, 1, 0, withGradient: false));
        Step("objective, managed, loss and gradient without backward", () => managed.Compute(output, target, mu, logVar, null, 1, 0, withGradient: true));
        var shape = new long[] { -1, group.Count, group.MaxWidth };
        Step("tensor form's categorical group", () =>
        {
            var logits = output.gather(1, group.Gather.unsqueeze(0).expand(256, -1)).view(shape).masked_fill(group.Padding!, -1e9f);
            var onehot = target.index_select(1, group.Gather).view(shape).masked_fill(group.Padding!, 0f);
            (-(onehot * logits.log_softmax(-1)).sum(-1)).mean([0]).sum().backward();
        });
    }
}
