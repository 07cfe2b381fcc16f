using System.Diagnostics;
using Microsoft.ML;
using Vae.MLNet.Columns;
using Vae.MLNet.Objective;
using Vae.MLNet.Training;
using static TorchSharp.torch;
using static Vae.MLNet.Benchmarks.Harness;

namespace Vae.MLNet.Benchmarks;

/// <summary>Where Fit's time goes beyond the bare loop: reading and encoding the table, and the trainer itself,
/// each against the bare loop in processor seconds of this process (meaningful with one torch thread).</summary>
internal static class Profile
{
    public static void Run(int rows, int width, int[] hidden, int latent, int batch, int epochs, bool unit, int repetitions)
    {
        var values = Data.Dense(rows, width, seed: 7, unit);
        var ml = new MLContext(seed: 1);
        var view = Data.VectorView(ml, Data.ToRows(values, width), width);
        VaeColumn[] columns = [new VaeColumn(nameof(VectorRow.Features), unit ? VaeColumnKind.Binary : VaeColumnKind.Numeric)];
        Run(view, columns, hidden, latent, batch, epochs, unit, repetitions);
    }

    public static void Mixed(int rows, int epochs, int repetitions)
    {
        var ml = new MLContext(seed: 1);
        var view = ml.Data.LoadFromEnumerable(Data.AdultRows(rows, seed: 3).ToList());
        VaeColumn[] columns = [
            .. Data.AdultNumeric.Select(n => new VaeColumn(n, VaeColumnKind.Numeric)),
            .. Data.AdultCategorical.Select(n => new VaeColumn(n, VaeColumnKind.Categorical))];
        Run(view, columns, [128, 128], 8, 256, epochs, false, repetitions);
    }

    private static void Run(IDataView view, VaeColumn[] columns, int[] hidden, int latent, int batch, int epochs, bool unit, int repetitions)
    {
        var requests = ColumnResolver.Resolve(view.Schema, columns, "columns");
        EncodedMatrix? matrix = null;
        ColumnEncoding? encoding = null;
        var settings = new TrainingSettings(latent, hidden, VaeActivation.Relu, 0, epochs, batch, 1e-3, 1e-5, 5, 0, 10,
            new KlWeight(1, false, VaeKlSchedule.Constant, 10, 4, 0.5, epochs), 0, VaeNumericLoss.MeanSquaredError,
            VaeReconstructionReduction.Sum, 1);
        var first = ColumnEncodingFitter.Encode(view, ColumnEncodingFitter.Fit(view, requests, 100));
        using var data = tensor(first.Values, [first.Rows, first.Width]);
        var (rows, width) = (first.Rows, first.Width);
        var loss = unit ? BareLoss.BinaryCrossEntropy : BareLoss.SquaredError;
        var parts = new Dictionary<string, List<double>> { ["encode"] = [], ["trainer"] = [], ["bare"] = [], ["bare+objective"] = [] };
        using var layout = new LossLayout(ColumnEncodingFitter.Fit(view, requests, 100), VaeReconstructionReduction.Sum, CPU);
        void Measure(string name, Action action)
        {
            Settle();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
            action();
            parts[name].Add(Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds - cpu);
        }

        for (var i = 0; i <= repetitions; i++)
        {
            Measure("encode", () =>
            {
                encoding = ColumnEncodingFitter.Fit(view, requests, 100);
                matrix = ColumnEncodingFitter.Encode(view, encoding);
            });
            Measure("trainer", () => VaeTrainer.Train(matrix!, encoding!, settings, CPU));
            Measure("bare", () => BareLoop.Train(data, hidden, latent, batch, epochs, loss, 1));
            Measure("bare+objective", () => BareLoop.Train(data, hidden, latent, batch, epochs, loss, 1,
                (output, x, mu, logVar) => VaeObjective.Compute(output, x, mu, logVar, layout, 1, 0).Total));
        }

        Console.WriteLine($"  profile {width}-{string.Join('-', hidden)}-{latent}, {rows} rows x {epochs} epochs, batch {batch}, processor s (median of {repetitions} after one warm-up): "
            + string.Join(", ", parts.Select(p => $"{p.Key} {F(Median(p.Value.Skip(1)), 3)} [{string.Join(' ', p.Value.Skip(1).Select(v => F(v, 3)))}]")));
    }
}
